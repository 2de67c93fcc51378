"""``ketnoi evaluate`` and ``ketnoi train`` as the operator runs them (``ketnoi explain``, which
reads Kafka, is run against the broker in tests/integration/matching)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from services.cli.matching import matching_app
from services.matching import model_store
from services.matching.feedback_file import append_examples
from tests.unit.matching.test_learning import capacity_driven_feedback


@pytest.fixture
def ketnoi() -> typer.Typer:
    """The sub-app mounted as services/cli/main.py mounts it: its commands at the top."""
    app = typer.Typer()

    @app.command()
    def status() -> None:  # a second command, so that typer keeps command names
        """Stand-in for ketnoi's other commands."""

    app.add_typer(matching_app)
    return app


def test_evaluate_prints_the_quality_figures(ketnoi: typer.Typer) -> None:
    result = CliRunner().invoke(ketnoi, ["evaluate"])
    assert result.exit_code == 0, result.output
    assert "Loan eligibility: precision" in result.output
    assert "Hard exclusions" in result.output


def test_train_reads_feedback_files_and_saves_the_next_version(
    ketnoi: typer.Typer, tmp_path: Path
) -> None:
    first, second = tmp_path / "worker-1.jsonl", tmp_path / "worker-2.jsonl"
    examples = capacity_driven_feedback()
    append_examples(first, examples[:300])
    append_examples(second, examples[300:])
    models = tmp_path / "models"

    result = CliRunner().invoke(
        ketnoi,
        ["train", "--feedback", str(first), "--feedback", str(second), "--models-dir", str(models)],
    )

    assert result.exit_code == 0, result.output
    assert f"{len(examples)} feedback examples from 2 file(s)" in result.output
    saved = model_store.load_latest(models, "sourcing")
    assert saved is not None and saved.version == "sourcing-lr-0001"


def test_train_without_feedback_says_so(ketnoi: typer.Typer, tmp_path: Path) -> None:
    missing = tmp_path / "none.jsonl"
    result = CliRunner().invoke(ketnoi, ["train", "--feedback", str(missing)])
    assert result.exit_code == 1
    assert "no feedback file" in result.output


def test_train_keeps_a_model_it_cannot_judge_unless_forced(
    ketnoi: typer.Typer, tmp_path: Path
) -> None:
    feedback, models = tmp_path / "feedback.jsonl", tmp_path / "models"
    # One decision per demand: lists of one item, which rank nothing.
    append_examples(feedback, [e for e in capacity_driven_feedback() if e.item_id.endswith("-0")])
    command = ["train", "--feedback", str(feedback), "--models-dir", str(models)]

    refused = CliRunner().invoke(ketnoi, command)
    assert refused.exit_code == 1, refused.output
    assert "sourcing-lr-0001 not saved" in refused.output
    assert model_store.load_latest(models, "sourcing") is None

    forced = CliRunner().invoke(ketnoi, [*command, "--force"])
    assert forced.exit_code == 0, forced.output
    saved = model_store.load_latest(models, "sourcing")
    assert saved is not None and saved.version == "sourcing-lr-0001"
