"""tweetcare: event-driven customer care on X (ingest, triage, SLA, API)."""
