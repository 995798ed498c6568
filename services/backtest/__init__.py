"""What-if backtests: a file of tweets through ingest's readers, triage's rules (or "every
inbound tweet needs a reply") and the SLA service's case code, on event time, in one process.

It composes three services, so it lives above them; the services do not import it.
"""
