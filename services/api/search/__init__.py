"""Search over tweets and cases, CSV export, and each user's saved searches."""
