"""Event contracts: one pydantic model and one codec per Kafka topic (see schemas/)."""
