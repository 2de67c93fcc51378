"""The smoke worker: answers each SmokePing with a SmokePong.

It exists to prove, in seconds, that the broker, the topics, the contract and a faust-streaming
worker fit together; ``ketnoi smoke`` and the integration tests use it.
"""
