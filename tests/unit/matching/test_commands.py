"""The explain command tells a cooperative which rules it fails and what would help."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.matching.commands import explain

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
