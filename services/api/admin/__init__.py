"""Who may do what, and the API's own settings: tokens, the caller's identity, canned replies."""
