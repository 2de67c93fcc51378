"""Each eligibility rule, exactly, with its boundaries and the remedy it suggests."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from services.matching.domain.eligibility import RULES, Applicants, eligible, failed_rules
from services.matching.domain.model import Cooperative, CreditNeed, LoanProduct
from tests.unit.matching.builders import cooperative, credit_need, loan_product


def failing(
    need: CreditNeed | None = None,
    member: Cooperative | None = None,
    product: LoanProduct | None = None,
) -> list[str]:
    chosen = (need or credit_need(), member or cooperative(), product or loan_product())
    return [failure.rule for failure in failed_rules(*chosen)]


def test_a_need_within_every_rule_is_eligible() -> None:
    assert failing() == []


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (99_999_999, ["amount"]),
        (100_000_000, []),
        (1_000_000_000, []),
        (1_000_000_001, ["amount"]),
    ],
)
def test_amount_must_be_within_the_product_range_inclusive(
    amount: int, expected: list[str]
) -> None:
    assert failing(credit_need(amount_vnd=amount)) == expected


def test_amount_remedy_names_the_range_in_both_languages() -> None:
    [failure] = failed_rules(credit_need(amount_vnd=50_000_000), cooperative(), loan_product())
    assert failure.reason.code == "amount_below_minimum"
    assert "100,000,000 VND" in failure.remedy.en
    assert "100.000.000 ₫" in failure.remedy.vi
    [above] = failed_rules(credit_need(amount_vnd=2_000_000_000), cooperative(), loan_product())
    assert above.reason.code == "amount_above_maximum"


def test_term_must_not_exceed_the_longest_term() -> None:
    assert failing(credit_need(term_months=36)) == []
    [failure] = failed_rules(credit_need(term_months=37), cooperative(), loan_product())
    assert failure.rule == "term"
    assert failure.remedy.en == "Choose a term of at most 36 months"


def test_sector_must_be_listed_unless_the_list_is_empty() -> None:
    only_crafts = loan_product(eligible_sectors=frozenset({"industry_handicraft"}))
    assert failing(product=only_crafts) == ["sector"]
    assert failing(member=cooperative(sector="industry_handicraft"), product=only_crafts) == []


def test_kind_must_be_listed_unless_the_list_is_empty() -> None:
    only_htx = loan_product(eligible_kinds=frozenset({"htx"}))
    assert failing(member=cooperative(kind="tht"), product=only_htx) == ["kind"]
    assert failing(member=cooperative(kind="htx"), product=only_htx) == []


def test_years_operating_count_to_the_submission_date() -> None:
    product = loan_product(min_years_operating=3)
    need = credit_need(submitted_on=date(2026, 5, 1))
    assert failing(need, cooperative(founded_year=2023), product) == []
    [failure] = failed_rules(need, cooperative(founded_year=2024), product)
    assert failure.rule == "years_operating"
    assert failure.remedy.en == "Apply again from 2027"


def test_members_shortfall_is_counted_in_the_remedy() -> None:
    product = loan_product(min_members=10)
    assert failing(member=cooperative(member_count=10), product=product) == []
    [failure] = failed_rules(credit_need(), cooperative(member_count=7), product)
    assert failure.rule == "members"
    assert failure.remedy.en == "Admit 3 more member(s)"
    assert failure.remedy.vi == "Kết nạp thêm 3 thành viên"


def test_collateral_is_needed_only_when_required() -> None:
    secured = loan_product(collateral_required=True)
    assert failing(credit_need(collateral_offered=False), product=secured) == ["collateral"]
    assert failing(credit_need(collateral_offered=True), product=secured) == []
    assert failing(credit_need(collateral_offered=False), product=loan_product()) == []


def test_district_must_be_listed_unless_the_list_is_empty() -> None:
    mountain = loan_product(eligible_districts=frozenset({"minh-hoa", "tuyen-hoa"}))
    [failure] = failed_rules(credit_need(), cooperative(district="le-thuy"), mountain)
    assert failure.rule == "district"
    assert "Minh Hóa" in failure.reason.en and "Lệ Thủy" in failure.reason.en
    assert failing(member=cooperative(district="minh-hoa"), product=mountain) == []


def test_purpose_must_be_listed_unless_the_list_is_empty() -> None:
    equipment = loan_product(purposes=frozenset({"equipment", "processing"}))
    [failure] = failed_rules(credit_need(purpose="working_capital"), cooperative(), equipment)
    assert failure.rule == "purpose"
    assert failure.remedy.en == "Ask for one of: equipment, processing"
    assert failing(credit_need(purpose="equipment"), product=equipment) == []


def test_all_failed_rules_are_listed_in_rule_order() -> None:
    strict = loan_product(
        min_members=100,
        min_years_operating=50,
        collateral_required=True,
        purposes=frozenset({"equipment"}),
        max_term_months=12,
    )
    assert failing(product=strict) == [
        "term",
        "years_operating",
        "members",
        "collateral",
        "purpose",
    ]
    assert set(failing(product=strict)) <= set(RULES)


def test_vectorised_eligibility_agrees_with_the_explanations() -> None:
    rng = np.random.default_rng(3)
    pairs = [
        (
            credit_need(
                f"n{i}",
                amount_vnd=int(rng.integers(10, 2000)) * 1_000_000,
                term_months=int(rng.integers(1, 60)),
                collateral_offered=bool(rng.integers(0, 2)),
                purpose=str(rng.choice(["working_capital", "equipment", "inputs"])),
            ),
            cooperative(
                f"c{i}",
                member_count=int(rng.integers(1, 40)),
                founded_year=int(rng.integers(2015, 2026)),
                kind=str(rng.choice(["htx", "tht"])),
                district=str(rng.choice(["le-thuy", "minh-hoa"])),
            ),
        )
        for i in range(200)
    ]
    product = loan_product(
        min_members=10,
        min_years_operating=3,
        collateral_required=True,
        eligible_kinds=frozenset({"htx"}),
        eligible_districts=frozenset({"le-thuy"}),
        purposes=frozenset({"equipment", "inputs"}),
    )
    vectorised = eligible(Applicants.of(pairs), product)
    explained = np.array([not failed_rules(n, c, product) for n, c in pairs])
    assert (vectorised == explained).all()
    assert 0 < vectorised.sum() < len(pairs)
