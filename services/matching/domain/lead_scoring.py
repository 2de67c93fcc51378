"""How good a credit risk an eligible cooperative is: fit components from its record.

Only pairs that pass every eligibility rule get here; this orders them for the bank. The
components, each in [0, 1]:

- revenue: annual revenue against the amount asked (twice the amount or more scores 1);
- members: members on a log scale (100 or more score 1);
- years: years operating (10 or more score 1);
- certifications: distinct certification kinds valid when the need was submitted (3 score 1);
- ocop: best OCOP rating held (3★ 1/3, 4★ 2/3, 5★ 1);
- buyer: a buyer waiting: 1 for a confirmed deal (MOU or contract), 0.6 for a current
  sourcing match, else 0;
- collateral: 1 when collateral is offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.matching.domain.model import CERTIFICATION_NAMES, Cooperative, CreditNeed
from services.matching.domain.proposals import Reason
from services.matching.domain.wording import percent, vnd_en, vnd_vi

CONFIRMED_BUYER = 1.0
MATCHED_BUYER = 0.6
_FULL_MEMBERS = 100
_FULL_YEARS = 10
_FULL_CERTIFICATIONS = 3


@dataclass(frozen=True, slots=True)
class CreditRecord:
    """What the bank would look at, for one credit need of one cooperative."""

    need: CreditNeed
    cooperative: Cooperative
    buyer: float  # CONFIRMED_BUYER, MATCHED_BUYER or 0

    def valid_certifications(self) -> set[str]:
        on = self.need.submitted_on
        return {
            c.kind
            for product in self.cooperative.products
            for c in product.certificates
            if c.valid_through(on)
        }

    def ocop_stars(self) -> int:
        on = self.need.submitted_on
        return max(
            (
                c.stars or 0
                for product in self.cooperative.products
                for c in product.certificates
                if c.kind == "ocop" and c.valid_through(on)
            ),
            default=0,
        )


def lead_components(records: Sequence[CreditRecord]) -> dict[str, np.ndarray]:
    """Component name -> (n,) float32 in [0, 1], for n records."""
    amount = np.array([r.need.amount_vnd for r in records], dtype=np.float64)
    revenue = np.array([r.cooperative.annual_revenue_vnd or 0 for r in records], dtype=np.float64)
    members = np.array([r.cooperative.member_count for r in records], dtype=np.float64)
    years = np.array(
        [r.cooperative.years_operating(r.need.submitted_on) for r in records], dtype=np.float64
    )
    certified = np.array([len(r.valid_certifications()) for r in records], dtype=np.float64)
    stars = np.array([r.ocop_stars() for r in records], dtype=np.float64)
    components = {
        "revenue": np.minimum(1.0, revenue / (2.0 * amount)),
        "members": np.minimum(1.0, np.log1p(members) / np.log1p(_FULL_MEMBERS)),
        "years": np.minimum(1.0, years / _FULL_YEARS),
        "certifications": np.minimum(1.0, certified / _FULL_CERTIFICATIONS),
        "ocop": np.where(stars >= 3, (stars - 2) / 3, 0.0),
        "buyer": np.array([r.buyer for r in records], dtype=np.float64),
        "collateral": np.array([r.need.collateral_offered for r in records], dtype=np.float64),
    }
    return {name: values.astype(np.float32) for name, values in components.items()}


def lead_reasons(record: CreditRecord) -> tuple[Reason, ...]:
    """The record behind a lead's score, strongest signals first."""
    need, cooperative = record.need, record.cooperative
    reasons: list[Reason] = []
    if record.buyer >= CONFIRMED_BUYER:
        reasons.append(
            Reason(
                "buyer_confirmed",
                "Has signed with a buyer (MOU or contract)",
                "Đã ký kết với bên mua (biên bản ghi nhớ hoặc hợp đồng)",
            )
        )
    elif record.buyer > 0:
        reasons.append(
            Reason(
                "buyer_waiting",
                "A buyer's demand is matched to this cooperative",
                "Hợp tác xã đang được kết nối với nhu cầu của bên mua",
            )
        )
    revenue = cooperative.annual_revenue_vnd
    if revenue:
        reasons.append(
            Reason(
                "revenue",
                f"Annual revenue {vnd_en(revenue)}, {percent(revenue / need.amount_vnd)} "
                "of the amount asked",
                f"Doanh thu năm {vnd_vi(revenue)}, bằng {percent(revenue / need.amount_vnd)} "
                "số tiền đề nghị vay",
            )
        )
    else:
        reasons.append(
            Reason("revenue_unknown", "Annual revenue not declared", "Chưa khai báo doanh thu năm")
        )
    years = cooperative.years_operating(need.submitted_on)
    reasons.append(
        Reason(
            "track_record",
            f"{years} years operating, {cooperative.member_count} members",
            f"Hoạt động {years} năm, {cooperative.member_count} thành viên",
        )
    )
    stars = record.ocop_stars()
    if stars:
        reasons.append(
            Reason("ocop_rated", f"OCOP {stars}★ product", f"Có sản phẩm OCOP {stars} sao")
        )
    certified = sorted(CERTIFICATION_NAMES.get(k, (k, k)) for k in record.valid_certifications())
    if certified:
        en = ", ".join(name for name, _ in certified)
        vi = ", ".join(name for _, name in certified)
        reasons.append(Reason("certified", f"Certified: {en}", f"Đã có chứng nhận: {vi}"))
    if need.collateral_offered:
        reasons.append(Reason("collateral_offered", "Offers collateral", "Có tài sản bảo đảm"))
    return tuple(reasons)
