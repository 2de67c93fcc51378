"""The businesses service (port 8002): enterprises' sourcing demands and the cooperatives ranked
for each. Writes go to its own tables and, through its outbox, to ``ketnoi.demands.v1``."""
