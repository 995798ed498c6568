"""A local fake of the X API v2 for the live-source tests: no network beyond loopback."""
