"""Kafka adapters every service shares: topic administration, producing, dead-lettering."""
