"""A loan product's hard eligibility rules, and what would make a cooperative eligible.

A credit need that breaks any rule of a product is never a lead for it. The rules run over
columns (many credit needs against one product at once); explaining one pair runs the same
rules on a single row, so what a cooperative is told is exactly what decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.matching.domain.model import Cooperative, CreditNeed, LoanProduct
from services.matching.domain.proposals import Reason
from services.matching.domain.wording import district_names, sector_names, vnd_en, vnd_vi

RULES: tuple[str, ...] = (
    "amount",
    "term",
    "sector",
    "kind",
    "years_operating",
    "members",
    "collateral",
    "district",
    "purpose",
)

_PURPOSES = {
    "working_capital": ("working capital", "vốn lưu động"),
    "equipment": ("equipment", "máy móc, thiết bị"),
    "infrastructure": ("infrastructure", "cơ sở hạ tầng"),
    "inputs": (
        "inputs (seed, stock, feed, fertiliser)",
        "vật tư đầu vào (giống, thức ăn, phân bón)",
    ),
    "processing": ("processing", "chế biến"),
    "storage_logistics": ("storage and logistics", "kho bãi, vận chuyển"),
    "other": ("other purposes", "mục đích khác"),
}
_KINDS = {
    "htx": ("cooperatives", "hợp tác xã"),
    "tht": ("cooperative groups", "tổ hợp tác"),
    "union": ("cooperative unions", "liên hiệp hợp tác xã"),
    "credit_fund": ("people's credit funds", "quỹ tín dụng nhân dân"),
}


@dataclass(frozen=True, slots=True)
class Applicants:
    """n credit needs with their cooperatives' records, as columns of shape (n,)."""

    amount: np.ndarray  # int64 VND
    term: np.ndarray  # int32 months
    years: np.ndarray  # int32 whole years operating when the need was submitted
    members: np.ndarray  # int64
    collateral: np.ndarray  # bool
    sector: np.ndarray  # str
    kind: np.ndarray  # str
    district: np.ndarray  # str
    purpose: np.ndarray  # str

    @staticmethod
    def of(pairs: Sequence[tuple[CreditNeed, Cooperative]]) -> Applicants:
        return Applicants(
            amount=np.array([n.amount_vnd for n, _ in pairs], dtype=np.int64),
            term=np.array([n.term_months for n, _ in pairs], dtype=np.int32),
            years=np.array([c.years_operating(n.submitted_on) for n, c in pairs], dtype=np.int32),
            members=np.array([c.member_count for _, c in pairs], dtype=np.int64),
            collateral=np.array([n.collateral_offered for n, _ in pairs], dtype=bool),
            sector=np.array([c.sector for _, c in pairs], dtype=str),
            kind=np.array([c.kind for _, c in pairs], dtype=str),
            district=np.array([c.district for _, c in pairs], dtype=str),
            purpose=np.array([n.purpose for n, _ in pairs], dtype=str),
        )


def _allowed(values: np.ndarray, allowed: frozenset[str]) -> np.ndarray:
    if not allowed:  # an empty list in a loan product means "any"
        return np.ones(values.shape, dtype=bool)
    return np.isin(values, sorted(allowed))


def rule_failures(applicants: Applicants, product: LoanProduct) -> dict[str, np.ndarray]:
    """For each rule, which applicants break it: rule name -> (n,) bool."""
    return {
        "amount": (applicants.amount < product.amount_min_vnd)
        | (applicants.amount > product.amount_max_vnd),
        "term": applicants.term > product.max_term_months,
        "sector": ~_allowed(applicants.sector, product.eligible_sectors),
        "kind": ~_allowed(applicants.kind, product.eligible_kinds),
        "years_operating": applicants.years < product.min_years_operating,
        "members": applicants.members < product.min_members,
        "collateral": np.full(applicants.collateral.shape, product.collateral_required)
        & ~applicants.collateral,
        "district": ~_allowed(applicants.district, product.eligible_districts),
        "purpose": ~_allowed(applicants.purpose, product.purposes),
    }


def eligible(applicants: Applicants, product: LoanProduct) -> np.ndarray:
    """(n,) bool: the applicants that break no rule of the product."""
    failures = rule_failures(applicants, product)
    ok = np.ones(applicants.amount.shape, dtype=bool)
    for failed in failures.values():
        ok &= ~failed
    return ok


@dataclass(frozen=True, slots=True)
class FailedRule:
    rule: str
    reason: Reason  # what is wrong
    remedy: Reason  # what would make the cooperative eligible


def failed_rules(
    need: CreditNeed, cooperative: Cooperative, product: LoanProduct
) -> list[FailedRule]:
    """The rules this credit need breaks for this product, in rule order; empty if eligible."""
    failures = rule_failures(Applicants.of([(need, cooperative)]), product)
    return [_explain(rule, need, cooperative, product) for rule in RULES if bool(failures[rule][0])]


def _names(codes: frozenset[str], words: dict[str, tuple[str, str]]) -> tuple[str, str]:
    ordered = sorted(codes)
    return (
        ", ".join(words.get(c, (c, c))[0] for c in ordered),
        ", ".join(words.get(c, (c, c))[1] for c in ordered),
    )


def _explain(
    rule: str, need: CreditNeed, cooperative: Cooperative, product: LoanProduct
) -> FailedRule:
    p = product
    if rule == "amount":
        if need.amount_vnd < p.amount_min_vnd:
            reason = Reason(
                "amount_below_minimum",
                f"Asks for {vnd_en(need.amount_vnd)}, "
                f"below the minimum of {vnd_en(p.amount_min_vnd)}",
                f"Số tiền đề nghị {vnd_vi(need.amount_vnd)} thấp hơn mức tối thiểu "
                f"{vnd_vi(p.amount_min_vnd)}",
            )
        else:
            reason = Reason(
                "amount_above_maximum",
                f"Asks for {vnd_en(need.amount_vnd)}, "
                f"above the maximum of {vnd_en(p.amount_max_vnd)}",
                f"Số tiền đề nghị {vnd_vi(need.amount_vnd)} vượt mức tối đa "
                f"{vnd_vi(p.amount_max_vnd)}",
            )
        remedy = Reason(
            "ask_amount_in_range",
            f"Ask for between {vnd_en(p.amount_min_vnd)} and {vnd_en(p.amount_max_vnd)}",
            f"Đề nghị vay trong khoảng {vnd_vi(p.amount_min_vnd)} đến {vnd_vi(p.amount_max_vnd)}",
        )
    elif rule == "term":
        reason = Reason(
            "term_too_long",
            f"Asks for {need.term_months} months; the longest term is {p.max_term_months} months",
            f"Thời hạn đề nghị {need.term_months} tháng; tối đa {p.max_term_months} tháng",
        )
        remedy = Reason(
            "shorten_term",
            f"Choose a term of at most {p.max_term_months} months",
            f"Chọn thời hạn không quá {p.max_term_months} tháng",
        )
    elif rule == "sector":
        en, vi = _names(p.eligible_sectors, sector_names())
        mine_en, mine_vi = sector_names().get(cooperative.sector, (cooperative.sector,) * 2)
        reason = Reason(
            "sector_not_eligible",
            f"Lends only to the sectors {en}, not {mine_en}",
            f"Chỉ cho vay các lĩnh vực {vi}, không gồm {mine_vi}",
        )
        remedy = Reason(
            "other_product_for_sector",
            "Look for a loan product open to your sector",
            "Tìm sản phẩm vay dành cho lĩnh vực của hợp tác xã",
        )
    elif rule == "kind":
        en, vi = _names(p.eligible_kinds, _KINDS)
        mine_en, mine_vi = _KINDS.get(cooperative.kind, (cooperative.kind, cooperative.kind))
        reason = Reason(
            "kind_not_eligible",
            f"Lends only to {en}, not to {mine_en}",
            f"Chỉ cho vay {vi}, không cho vay {mine_vi}",
        )
        remedy = Reason(
            "other_product_for_kind",
            f"Look for a loan product open to {mine_en}",
            f"Tìm sản phẩm vay dành cho {mine_vi}",
        )
    elif rule == "years_operating":
        years = cooperative.years_operating(need.submitted_on)
        reason = Reason(
            "too_few_years_operating",
            f"Operating for {years} year(s); at least {p.min_years_operating} are required",
            f"Mới hoạt động {years} năm; yêu cầu tối thiểu {p.min_years_operating} năm",
        )
        ready = cooperative.founded_year + p.min_years_operating
        remedy = Reason(
            "wait_until_year",
            f"Apply again from {ready}",
            f"Đề nghị lại từ năm {ready}",
        )
    elif rule == "members":
        missing = p.min_members - cooperative.member_count
        reason = Reason(
            "too_few_members",
            f"Has {cooperative.member_count} members; at least {p.min_members} are required",
            f"Có {cooperative.member_count} thành viên; yêu cầu tối thiểu {p.min_members}",
        )
        remedy = Reason(
            "recruit_members",
            f"Admit {missing} more member(s)",
            f"Kết nạp thêm {missing} thành viên",
        )
    elif rule == "collateral":
        reason = Reason(
            "collateral_required",
            "The product requires collateral and none is offered",
            "Sản phẩm yêu cầu tài sản bảo đảm nhưng hợp tác xã chưa đề xuất",
        )
        remedy = Reason(
            "offer_collateral",
            "Offer collateral (land use rights, buildings, equipment) "
            "or look for an unsecured loan",
            "Đề xuất tài sản bảo đảm (quyền sử dụng đất, nhà xưởng, máy móc) "
            "hoặc tìm khoản vay tín chấp",
        )
    elif rule == "district":
        en, vi = _names(p.eligible_districts, district_names())
        mine = district_names().get(cooperative.district, (cooperative.district,) * 2)[0]
        reason = Reason(
            "district_not_eligible",
            f"Lends only in {en}, not in {mine}",
            f"Chỉ cho vay tại {vi}, không gồm {mine}",
        )
        remedy = Reason(
            "other_product_for_district",
            "Look for a loan product offered in your district",
            "Tìm sản phẩm vay áp dụng tại huyện của hợp tác xã",
        )
    else:
        en, vi = _names(p.purposes, _PURPOSES)
        mine_en, mine_vi = _PURPOSES.get(need.purpose, (need.purpose, need.purpose))
        reason = Reason(
            "purpose_not_eligible",
            f"Finances {en}, not {mine_en}",
            f"Chỉ tài trợ {vi}, không tài trợ {mine_vi}",
        )
        remedy = Reason(
            "change_purpose",
            f"Ask for one of: {en}",
            f"Đề nghị vay cho một trong các mục đích: {vi}",
        )
    return FailedRule(rule, reason, remedy)
