"""``python -m services.matching.evaluation``: print matching quality on the labelled set."""

from services.matching.commands import evaluate

if __name__ == "__main__":
    evaluate()
