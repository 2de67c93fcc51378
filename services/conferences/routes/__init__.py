"""HTTP routes of the conferences service, under /v1, one module per resource. Each decodes,
checks the role, and hands over to a handler (writes) or a view (reads)."""
