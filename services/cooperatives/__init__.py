"""The cooperatives service (port 8001): profiles, products, credit needs, and the demands that
fit each cooperative. Writes go to its own tables and, through its outbox, to
``ketnoi.cooperatives.v1``."""
