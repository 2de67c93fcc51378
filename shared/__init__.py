"""Kết Nối's shared package: the event contract, topic names, settings and reference data.

Every service meets the others only through Kafka, so everything two services must agree on
lives here, once.
"""
