"""The agent console: static files (``static/``) served at ``/`` and ``/console/<file>``."""
