"""The event contract, v1: value types, event payloads, and the envelope they travel in."""
