"""What every service shares: event codecs, settings helpers, JSON logs and metrics helpers."""
