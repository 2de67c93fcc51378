"""The transactional outbox: an event is stored with its row, in one transaction, and a relay
publishes it to Kafka afterwards, so a request succeeds while the broker is down and nothing is
lost. See :mod:`shared.outbox.relay` for the ordering and concurrency rules.
"""
