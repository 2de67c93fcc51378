"""The matching domain: records, scoring, ranking and learning, without Kafka, HTTP or SQL."""
