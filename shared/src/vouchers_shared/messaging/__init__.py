"""Kafka messaging: CloudEvents envelope, publishing, consuming with a dead-letter topic."""
