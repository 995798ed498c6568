"""Real Kafka and Elasticsearch on loopback, fetched from Maven Central (`tweetcare infra`)."""
