"""``python -m services.cli`` is ``ketnoi``."""

from services.cli.main import app

app()
