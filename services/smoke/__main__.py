"""``python -m services.smoke``: run the smoke worker."""

from services.smoke.app import app

if __name__ == "__main__":
    app.main()
