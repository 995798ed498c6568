"""The live X sources of the ingest service: rules, stream, polling, outbox, cursors, cost.

Only ``client.py`` and ``stream.py`` import tweepy; ``rules.py`` and ``cost.py`` are pure.
"""
