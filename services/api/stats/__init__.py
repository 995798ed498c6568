"""Statistics for supervisors and other systems: response times, SLA, backlog, volume."""
