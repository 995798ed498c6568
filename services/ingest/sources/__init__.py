"""Replay sources: files in the formats support data comes in, turned into tweet events."""
