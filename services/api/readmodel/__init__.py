"""The API's read model in Elasticsearch: what is stored (:mod:`.documents`), how it is indexed
(:mod:`.indices`), the indexer that writes it (:mod:`.indexer`), its rebuild from the topics
(:mod:`.rebuild`) and the pieces every read uses (:mod:`.querying`). Kafka is the system of
record; everything here can be rebuilt from the topics. The reads themselves live with the
domains that answer them (``services/api/{queues,cases,search,stats}``)."""
