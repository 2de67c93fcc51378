"""The banks service (port 8003): loan products of banks and credit funds, and each bank's ranked
loan leads with its decisions on them. Writes go to its own tables and, through its outbox, to
``ketnoi.loan-products.v1`` and ``ketnoi.feedback.v1``."""
