"""Live updates: the feed of ``cases.events`` every replica reads, and the streams it serves."""
