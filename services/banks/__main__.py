"""``python -m services.banks serve|relay|consume|migrate``."""

from services.banks.service import SPEC, create_app
from shared.web.process import command_line

if __name__ == "__main__":
    command_line(SPEC, create_app)()
