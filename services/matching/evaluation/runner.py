"""Matching quality on the labelled set: NDCG@5 of the sourcing matches, the hard exclusions,
and the precision and recall of loan eligibility.

The set (JSON files next to this module, in the contract's shapes) covers unaccented queries,
near-miss products (fish sauce against shrimp paste, tiger against whiteleg shrimp), missing,
expired and too-few-star certifications, too-small capacities, a demand only a group can fill,
off-season harvests, and credit needs failing each eligibility rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from services.matching import contract_mapping
from services.matching.domain.engine import MatchingEngine
from services.matching.domain.learning import ndcg_at_5
from services.matching.domain.model import Cooperative, CreditNeed, Demand, LoanProduct

LABELLED_SET_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class LabelledSet:
    cooperatives: list[Cooperative]
    demands: list[Demand]
    credit_needs: list[CreditNeed]
    loan_products: list[LoanProduct]
    relevance: dict[str, dict[str, int]]  # demand -> cooperative -> graded relevance
    excluded: dict[str, dict[str, str]]  # demand -> cooperative -> reason code expected
    eligible: dict[str, set[str]]  # credit need -> loan products it is eligible for


@dataclass(frozen=True)
class EvaluationReport:
    ndcg_at_5: float
    ndcg_per_demand: dict[str, float]
    exclusions_checked: int
    exclusion_errors: list[str]
    eligibility_precision: float
    eligibility_recall: float
    eligibility_errors: list[str]


def _read(directory: Path, name: str) -> Any:
    with (directory / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def load_labelled_set(directory: Path = LABELLED_SET_DIR) -> LabelledSet:
    answers = _read(directory, "answers.json")
    return LabelledSet(
        cooperatives=[
            contract_mapping.parse_cooperative(row)
            for row in _read(directory, "cooperatives.json")["cooperatives"]
        ],
        demands=[
            contract_mapping.parse_demand(row)
            for row in _read(directory, "demands.json")["demands"]
        ],
        credit_needs=[
            contract_mapping.parse_credit_need(row["need"], date.fromisoformat(row["submitted_on"]))
            for row in _read(directory, "credit_needs.json")["credit_needs"]
        ],
        loan_products=[
            contract_mapping.parse_loan_product(row)
            for row in _read(directory, "loan_products.json")["loan_products"]
        ],
        relevance=answers["sourcing"],
        excluded=answers["excluded"],
        eligible={need: set(products) for need, products in answers["eligible"].items()},
    )


def load_engine(labelled: LabelledSet, engine: MatchingEngine | None = None) -> MatchingEngine:
    """An engine fed the whole set, in the order events would arrive."""
    engine = engine or MatchingEngine()
    engine.upsert_cooperatives(labelled.cooperatives)
    engine.upsert_demands(labelled.demands)
    for product in labelled.loan_products:
        engine.upsert_loan_product(product)
    for need in labelled.credit_needs:
        engine.upsert_credit_need(need)
    return engine


def _ranked_list(
    engine: MatchingEngine, demand_id: str, relevance: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(relevance (m,), score (m,)) over the matches and every labelled cooperative; labelled
    ones that were not matched rank below all matches."""
    matches = engine.matches_for(demand_id)
    items = [m.cooperative_id for m in matches]
    items += sorted(c for c in relevance if c not in items)
    scores = np.array([len(matches) - i if i < len(matches) else -1.0 for i in range(len(items))])
    gains = np.array([float(relevance.get(c, 0)) for c in items])
    return gains, scores


def _ndcg(gains: np.ndarray, scores: np.ndarray) -> float:
    """NDCG@5 of one list; a list of one relevant item is trivially in the right order."""
    if gains.shape[0] == 1:
        return 1.0 if gains[0] > 0 else float("nan")
    return ndcg_at_5([(gains, scores)])


def evaluate(
    labelled: LabelledSet | None = None, engine: MatchingEngine | None = None
) -> EvaluationReport:
    labelled = labelled or load_labelled_set()
    engine = load_engine(labelled, engine)
    per_demand = {
        demand.demand_id: _ndcg(
            *_ranked_list(engine, demand.demand_id, labelled.relevance.get(demand.demand_id, {}))
        )
        for demand in labelled.demands
    }
    scored = [value for value in per_demand.values() if not np.isnan(value)]

    exclusion_errors: list[str] = []
    checked = 0
    for demand_id, expected in labelled.excluded.items():
        matched = {m.cooperative_id for m in engine.matches_for(demand_id)}
        for cooperative_id, code in expected.items():
            checked += 1
            found = {
                r.code for rs in engine.exclusions(demand_id, cooperative_id).values() for r in rs
            }
            if cooperative_id in matched:
                exclusion_errors.append(f"{demand_id}: {cooperative_id} matched, expected {code}")
            elif code not in found:
                exclusion_errors.append(
                    f"{demand_id}: {cooperative_id} excluded by {sorted(found)}, expected {code}"
                )

    banks = {product.bank_id for product in labelled.loan_products}
    predicted = {
        (lead.credit_need_id, lead.loan_product_id)
        for bank in banks
        for lead in engine.leads_for(bank)
    }
    truth = {
        (need, product) for need, products in labelled.eligible.items() for product in products
    }
    hits = len(predicted & truth)
    errors = [f"not eligible but a lead: {n} / {p}" for n, p in sorted(predicted - truth)]
    errors += [f"eligible but no lead: {n} / {p}" for n, p in sorted(truth - predicted)]
    return EvaluationReport(
        ndcg_at_5=float(np.mean(scored)) if scored else float("nan"),
        ndcg_per_demand=per_demand,
        exclusions_checked=checked,
        exclusion_errors=exclusion_errors,
        eligibility_precision=hits / len(predicted) if predicted else 1.0,
        eligibility_recall=hits / len(truth) if truth else 1.0,
        eligibility_errors=errors,
    )


def format_report(report: EvaluationReport) -> str:
    lines = [f"Sourcing NDCG@5: {report.ndcg_at_5:.3f} over {len(report.ndcg_per_demand)} demands"]
    for demand_id, value in sorted(report.ndcg_per_demand.items()):
        lines.append(f"  {demand_id:<40} {value:.3f}")
    passed = report.exclusions_checked - len(report.exclusion_errors)
    lines.append(f"Hard exclusions: {passed}/{report.exclusions_checked} as labelled")
    lines.extend(f"  {error}" for error in report.exclusion_errors)
    lines.append(
        f"Loan eligibility: precision {report.eligibility_precision:.3f}, "
        f"recall {report.eligibility_recall:.3f}"
    )
    lines.extend(f"  {error}" for error in report.eligibility_errors)
    return "\n".join(lines)
