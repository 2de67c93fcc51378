"""``python -m services.matching worker``: run a matching worker (more of them share the work)."""

from services.matching.app import app

if __name__ == "__main__":
    app.main()
