"""The explain command tells a cooperative which rules it fails and what would help."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.matching.commands import explain, explain_match
from services.matching.domain.engine import MatchingEngine
from tests.unit.matching.builders import certified, cooperative, demand, offer, required

COOPERATIVE: dict[str, Any] = {
    "cooperative_id": "c5",
    "organisation_id": "org-c5",
    "name": "HTX Nông nghiệp hữu cơ Hiền Ninh",
    "kind": "htx",
    "sector": "agriculture",
    "district": "quang-ninh",
    "commune": "Hiền Ninh",
    "founded_year": 2025,
    "member_count": 5,
}
NEED: dict[str, Any] = {
    "credit_need_id": "n4",
    "cooperative_id": "c5",
    "amount_vnd": 300_000_000,
    "purpose": "working_capital",
    "term_months": 12,
    "collateral_offered": False,
}


def product(loan_product_id: str, **rules: Any) -> dict[str, Any]:
    return {
        "loan_product_id": loan_product_id,
        "bank_id": "agribank-qb",
        "name": f"Loan {loan_product_id}",
        "amount_min_vnd": 50_000_000,
        "amount_max_vnd": 2_000_000_000,
        "max_term_months": 36,
        "interest_rate_pct_per_year": 7.5,
        "collateral_required": False,
        **rules,
    }


def test_explain_lists_each_failed_rule_with_its_remedy() -> None:
    text = explain(
        NEED,
        [product("strict", min_years_operating=2, min_members=7), product("open")],
        COOPERATIVE,
        submitted_on=date(2026, 3, 1),
    )
    lines = text.splitlines()
    assert lines[1].startswith("✗ Loan strict")
    assert "[years_operating] Operating for 1 year(s); at least 2 are required." in lines[2]
    assert "Apply again from 2027" in lines[2]
    assert "[members]" in lines[3] and "Admit 2 more member(s)" in lines[3]
    assert lines[4] == "✓ Loan open (open, agribank-qb): eligible"


def test_explain_speaks_vietnamese_when_asked() -> None:
    text = explain(
        NEED, [product("strict", min_members=7)], COOPERATIVE, date(2026, 3, 1), language="vi"
    )
    assert "Kết nạp thêm 2 thành viên" in text


def test_explain_refuses_a_need_of_another_cooperative() -> None:
    with pytest.raises(ValueError, match="c9's, not c5's"):
        explain({**NEED, "cooperative_id": "c9"}, [], COOPERATIVE, date(2026, 3, 1))


def test_explain_match_says_which_products_match_at_which_rank_and_what_keeps_the_others_out() -> (
    None
):
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative(
                "c1",
                offer("Gạo hữu cơ", product_id="rice", certificates=(certified("organic"),)),
                offer(
                    "Gạo hữu cơ vụ đông",
                    product_id="late-rice",
                    certificates=(certified("organic", date(2026, 5, 31)),),
                ),
                offer("Nước mắm cá cơm", product_id="fish-sauce"),
            ),
            cooperative("c2", offer("Gạo hữu cơ", certificates=(certified("organic"),))),
        ]
    )
    engine.upsert_demand(demand(product="gạo hữu cơ", required=(required("organic"),)))

    text = explain_match(engine, "d1", "c1")

    lines = text.splitlines()
    assert lines[0] == "HTX c1 — d1 (gạo hữu cơ)"
    assert lines[1].startswith("✓ Gạo hữu cơ (rice): matched, #")
    assert " of 2, score " in lines[1]
    assert any(line.startswith("    - ") for line in lines)
    late = next(i for i, line in enumerate(lines) if "(late-rice)" in line)
    assert lines[late] == "✗ Gạo hữu cơ vụ đông (late-rice): not matched"
    assert lines[late + 1].startswith("    [certificate_expired] ")
    assert "2026-06-30" in lines[late + 1] or "30 June 2026" in lines[late + 1]
    sauce = next(i for i, line in enumerate(lines) if "(fish-sauce)" in line)
    assert lines[sauce] == "✗ Nước mắm cá cơm (fish-sauce): not matched"
    assert lines[sauce + 1].startswith("    [product_kind_mismatch] Offers fish sauce")
    assert lines[sauce + 2] == "    [certificate_missing] Lacks the required organic certification"

    vietnamese = explain_match(engine, "d1", "c1", language="vi").splitlines()
    assert vietnamese[1].startswith("✓ Gạo hữu cơ (rice): khớp, hạng ")
    assert ", điểm 0," in vietnamese[1]


def test_explain_match_says_when_a_qualifying_product_is_outranked() -> None:
    engine = MatchingEngine(top_k=1)
    engine.upsert_cooperatives(
        [cooperative("near", offer(), district="dong-hoi"), cooperative("far", offer())]
    )
    engine.upsert_demand(demand())

    [line] = explain_match(engine, "d1", "far").splitlines()[1:]

    assert line.startswith("✗ Gạo hữu cơ (p1): not matched: ranks below the 1 matched: score 0.")
    [near] = engine.matches_for("d1")
    assert line.endswith(f", the last matched {near.score:.2f}")
    score = float(line.split("score ")[1].split(",")[0])
    assert score < near.score


def test_explain_match_refuses_a_closed_demand_or_an_unknown_cooperative() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives([cooperative("c1", offer())])
    engine.upsert_demand(demand())
    with pytest.raises(ValueError, match="no cooperative c9"):
        explain_match(engine, "d1", "c9")
    engine.close_demand("d1")
    with pytest.raises(ValueError, match="no open demand d1"):
        explain_match(engine, "d1", "c1")
