"""Cases: one case with its thread and history, and the actions agents take on it."""
