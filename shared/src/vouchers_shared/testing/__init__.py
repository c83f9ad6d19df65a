"""Running services in tests without Kafka or a store: a document store in memory
(`memory_mongo`) and a service's subscribers on FastStream's TestKafkaBroker (`in_memory`)."""
