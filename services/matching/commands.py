"""Operator commands of the matching service, as plain functions for the ``ketnoi`` CLI.

- ``evaluate``: matching quality on the labelled set (NDCG@5, exclusions, eligibility);
- ``train``: learn score weights from feedback, print NDCG@5 on held-out decisions, save the
  model as the next version in a models directory when it ranks them better than the model
  in use;
- ``explain``: which eligibility rules a credit need fails, product by product, and what
  would make it eligible;
- ``explain_match``: whether each product of a cooperative is among a demand's matches, at
  which rank and why, or the rules that keep it out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from services.matching import contract_mapping, model_store
from services.matching.domain.eligibility import failed_rules
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.learning import (
    MIN_JUDGING_LISTS,
    FeedbackExample,
    TrainingReport,
    train_model,
)
from services.matching.domain.scoring_model import HANDSET_LEAD, HANDSET_SOURCING
from services.matching.domain.sourcing_reasons import OUTRANKED
from services.matching.evaluation.runner import EvaluationReport, format_report
from services.matching.evaluation.runner import evaluate as run_evaluation
from services.matching.feedback_file import read_examples

Printer = Callable[[str], None]


def evaluate(echo: Printer = print) -> EvaluationReport:
    report = run_evaluation()
    echo(format_report(report))
    return report


def train(
    feedback: Path | Iterable[FeedbackExample],
    models_dir: Path,
    echo: Printer = print,
    force: bool = False,
) -> list[TrainingReport]:
    """Train a model per kind (sourcing, lead) that has enough feedback and compare it with
    the model in use on held-out lists. It is saved as the next version in ``models_dir``
    (which the workers then score with) only if it ranks them better, on enough lists to tell
    (``MIN_JUDGING_LISTS``), or with ``force``: a few decisions can teach weights that push
    the best cooperatives out of every list. Returns the reports of the models saved."""
    examples = read_examples(feedback) if isinstance(feedback, Path) else list(feedback)
    reports: list[TrainingReport] = []
    for handset in (HANDSET_SOURCING, HANDSET_LEAD):
        kind = handset.kind
        baseline = model_store.load_latest(models_dir, kind) or handset
        try:
            report = train_model(examples, baseline, model_store.next_version(models_dir, kind))
        except ValueError as error:
            echo(f"{kind}: not trained: {error}")
            continue
        weights = ", ".join(
            f"{name} {weight:+.2f}"
            for name, weight in zip(report.model.features, report.model.weights, strict=True)
        )
        evaluation = (
            f"  NDCG@5 on {report.held_out_lists} held-out lists ({report.held_out_examples} "
            f"decisions, {report.judging_lists} lists that can rank): learnt "
            f"{report.ndcg_learned:.3f}, {baseline.version} {report.ndcg_baseline:.3f}"
        )
        if not (report.better or force):
            why = (
                "it ranks the held-out lists no better than the model in use"
                if report.judged
                else f"only {report.judging_lists} held-out lists can judge it (two decisions "
                f"or more, one of them good), {MIN_JUDGING_LISTS} are needed"
            )
            echo(
                f"{kind}: {report.model.version} not saved: {why}; {baseline.version} stays in "
                f"use (--force saves it anyway)\n"
                f"  weights: {weights}; intercept {report.model.intercept:+.2f}\n{evaluation}"
            )
            continue
        path = model_store.save_model(report.model, models_dir)
        echo(
            f"{kind}: {report.model.version} from {report.model.trained_on} examples, "
            f"saved to {path}\n"
            f"  weights: {weights}; intercept {report.model.intercept:+.2f}\n{evaluation}"
        )
        reports.append(report)
    return reports


def explain(
    credit_need: Mapping[str, Any],
    loan_products: Sequence[Mapping[str, Any]],
    cooperative: Mapping[str, Any],
    submitted_on: date | None = None,
    language: str = "en",
) -> str:
    """Human-readable: for each loan product, eligible or the rules failed and the remedies.
    Arguments are contract-shaped JSON objects (CreditNeedSubmitted, LoanProduct,
    CooperativeProfile); years operating count to ``submitted_on`` (default today)."""
    need = contract_mapping.parse_credit_need(credit_need, submitted_on or date.today())
    member = contract_mapping.parse_cooperative(cooperative)
    if need.cooperative_id != member.cooperative_id:
        raise ValueError(
            f"the credit need is {need.cooperative_id}'s, not {member.cooperative_id}'s"
        )
    vietnamese = language == "vi"
    lines = [f"{member.name} — {need.credit_need_id}"]
    for raw in loan_products:
        product = contract_mapping.parse_loan_product(raw)
        failures = failed_rules(need, member, product)
        title = f"{product.name} ({product.loan_product_id}, {product.bank_id})"
        if not failures:
            lines.append(f"✓ {title}: {'đủ điều kiện' if vietnamese else 'eligible'}")
            continue
        lines.append(f"✗ {title}:")
        for failure in failures:
            reason = failure.reason.vi if vietnamese else failure.reason.en
            remedy = failure.remedy.vi if vietnamese else failure.remedy.en
            lines.append(f"    [{failure.rule}] {reason}. → {remedy}.")
    return "\n".join(lines)


def explain_match(
    engine: MatchingEngine, demand_id: str, cooperative_id: str, language: str = "en"
) -> str:
    """Human-readable, for an organiser asked "why is this cooperative not proposed to that
    buyer?": each of the cooperative's products, matched (rank, score, reasons) or not, with
    the main reason and every hard rule it breaks (a missing or lapsing certificate, another
    kind of product). ``engine`` holds the cooperatives and the open demand, settled."""
    vietnamese = language == "vi"
    demand, member = engine.demand(demand_id), engine.cooperative(cooperative_id)
    if demand is None:
        raise ValueError(f"no open demand {demand_id}")
    if member is None:
        raise ValueError(f"no cooperative {cooperative_id}")
    ranked = engine.matches_for(demand_id)
    lines = [f"{member.name} — {demand_id} ({demand.product})"]
    if not member.products:
        lines.append("  (chưa khai báo sản phẩm nào)" if vietnamese else "  (offers no product)")
    exclusions = engine.exclusions(demand_id, cooperative_id)
    for offer in member.products:
        title = f"{offer.name} ({offer.product_id})"
        found = next(
            (
                (rank, match)
                for rank, match in enumerate(ranked, start=1)
                if match.cooperative_id == cooperative_id and match.product_id == offer.product_id
            ),
            None,
        )
        if found is not None:
            rank, match = found
            verdict = (
                f"khớp, hạng {rank}/{len(ranked)}, điểm " + f"{match.score:.2f}".replace(".", ",")
                if vietnamese
                else f"matched, #{rank} of {len(ranked)}, score {match.score:.2f}"
            )
            lines.append(f"✓ {title}: {verdict}")
            lines.extend(f"    - {r.vi if vietnamese else r.en}" for r in match.reasons)
            continue
        refused = "không khớp" if vietnamese else "not matched"
        rules = exclusions[offer.product_id]
        if rules:  # each hard rule it breaks
            lines.append(f"✗ {title}: {refused}")
            lines.extend(
                f"    [{rule.code}] {rule.vi if vietnamese else rule.en}" for rule in rules
            )
        else:  # it qualifies: too unlike the demand's text, or outranked
            why = engine.why_not_matched(demand_id, cooperative_id, offer.product_id)
            score = engine.pair_score(demand_id, cooperative_id, offer.product_id)
            if why.code == OUTRANKED.code and score is not None and ranked:
                last = ranked[-1].score
                text = (
                    f"xếp sau {len(ranked)} kết quả khớp: điểm {score:.2f}, kết quả cuối "
                    f"{last:.2f}".replace(".", ",")
                    if vietnamese
                    else f"ranks below the {len(ranked)} matched: score {score:.2f}, the last "
                    f"matched {last:.2f}"
                )
            else:
                text = why.vi if vietnamese else why.en
            lines.append(f"✗ {title}: {refused}: {text}")
    return "\n".join(lines)
