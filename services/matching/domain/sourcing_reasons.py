"""The sentences behind a sourcing match, an exclusion or a retraction, in both languages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

from services.matching.domain.model import (
    CERTIFICATION_NAMES,
    Amount,
    Certificate,
    Demand,
    ProductOffer,
    RequiredCertificate,
)
from services.matching.domain.places import place_table
from services.matching.domain.proposals import Reason
from services.matching.domain.taxonomy import BROADER_KIND, SAME_KIND, Taxonomy
from services.matching.domain.wording import (
    amount_en,
    amount_vi,
    date_en,
    date_vi,
    number_en,
    number_vi,
    percent,
    unit_en,
    unit_vi,
)


def certificate_name(requirement: RequiredCertificate) -> tuple[str, str]:
    """(English, Vietnamese) name of a required certification, with OCOP's stars."""
    en, vi = CERTIFICATION_NAMES.get(requirement.kind, (requirement.kind, requirement.kind))
    if requirement.kind == "ocop" and requirement.min_stars:
        return f"{en} {requirement.min_stars}★", f"{vi} {requirement.min_stars} sao"
    return en, vi


# --- why a pair is excluded -----------------------------------------------------------------


def kind_mismatch(taxonomy: Taxonomy, demanded: str | None, offered: str | None) -> Reason:
    d_en, d_vi = taxonomy.describe(demanded)
    o_en, o_vi = taxonomy.describe(offered)
    return Reason(
        "product_kind_mismatch",
        f"Offers {o_en}, but the demand is for {d_en}",
        f"Cung cấp {o_vi}, nhưng nhu cầu là {d_vi}",
    )


def certificate_missing(requirement: RequiredCertificate) -> Reason:
    en, vi = certificate_name(requirement)
    return Reason(
        "certificate_missing",
        f"Lacks the required {en} certification",
        f"Thiếu chứng nhận {vi} mà bên mua yêu cầu",
    )


def certificate_expired(requirement: RequiredCertificate, expires_on: date, until: date) -> Reason:
    en, vi = certificate_name(requirement)
    return Reason(
        "certificate_expired",
        f"The {en} certification expires on {date_en(expires_on)}, "
        f"before delivery ends on {date_en(until)}",
        f"Chứng nhận {vi} hết hạn ngày {date_vi(expires_on)}, "
        f"trước khi kết thúc giao hàng ngày {date_vi(until)}",
    )


def ocop_stars_too_low(held: int, needed: int) -> Reason:
    return Reason(
        "ocop_stars_too_low",
        f"Rated OCOP {held}★; the demand requires at least {needed}★",
        f"Sản phẩm đạt OCOP {held} sao; bên mua yêu cầu từ {needed} sao",
    )


def not_similar(text: float) -> Reason:
    return Reason(
        "product_not_similar",
        f"The product is only {percent(text)} similar to what the demand describes",
        f"Sản phẩm chỉ giống {percent(text)} với mô tả của nhu cầu",
    )


# --- why a pair matches ---------------------------------------------------------------------


def product_fit(
    taxonomy: Taxonomy, demanded: str | None, offered: str | None, text: float
) -> Reason:
    if taxonomy.compatibility_of(demanded, offered) >= BROADER_KIND:
        return _kind_fit(taxonomy, demanded, offered)
    return Reason(
        "product_text_similar",
        f"The product description is {percent(text)} similar to the demand",
        f"Mô tả sản phẩm giống {percent(text)} với nhu cầu",
    )


# The sentences that depend on a few values only are written once per value: a full re-rank
# writes a hundred thousand of them.
@cache
def _kind_fit(taxonomy: Taxonomy, demanded: str | None, offered: str | None) -> Reason:
    d_en, d_vi = taxonomy.describe(demanded)
    o_en, o_vi = taxonomy.describe(offered)
    if taxonomy.compatibility_of(demanded, offered) >= SAME_KIND:
        return Reason(
            "product_kind_match",
            f"Offers {o_en} for a demand for {d_en}",
            f"Cung cấp {o_vi}, đúng loại {d_vi} bên mua cần",
        )
    return Reason(
        "product_kind_broader",
        f"Offers {o_en}; the demand asks more specifically for {d_en}",
        f"Cung cấp {o_vi}; bên mua cần cụ thể là {d_vi}",
    )


class DemandReasons:
    """The sentences of one demand's matches. What depends on the demand alone (the amount
    needed, the delivery months, the certificates it requires) is worked out once, not once
    per match: a ranking writes ten or more of them."""

    def __init__(self, demand: Demand) -> None:
        self.demand = demand
        self.need = Amount(demand.monthly_need(), demand.quantity.unit)
        self._need_en = amount_en(self.need)
        self._need_vi = amount_vi(self.need)
        self.months = demand.delivery_months()
        self._required = _certificates_held(demand.required_certificates)

    def capacity(self, offer: ProductOffer) -> Reason:
        need, have = self.need, offer.monthly_capacity
        if have.unit != need.unit:
            return Reason(
                "capacity_other_unit",
                f"Capacity is given in {unit_en(have.unit)}, the demand in {unit_en(need.unit)}; "
                "it cannot be compared",
                f"Năng lực tính theo {unit_vi(have.unit)}, nhu cầu theo {unit_vi(need.unit)}; "
                "không so sánh được",
            )
        share = have.value / need.value
        if share >= 1:
            return Reason(
                "capacity_covers",
                f"Supplies {amount_en(have)} a month, enough for the {self._need_en} needed",
                f"Cung cấp {amount_vi(have)}/tháng, đủ cho {self._need_vi}/tháng bên mua cần",
            )
        return Reason(
            "capacity_partial",
            f"Supplies {amount_en(have)} a month, {percent(share)} of the {self._need_en} needed",
            f"Cung cấp {amount_vi(have)}/tháng, bằng {percent(share)} "
            f"của {self._need_vi}/tháng bên mua cần",
        )

    def certification(self, offer: ProductOffer) -> Reason:
        if self._required is not None:
            return self._required
        if not offer.certificates:
            return UNCERTIFIED
        until = self.demand.delivery_until
        valid = sorted(
            {
                CERTIFICATION_NAMES.get(c.kind, (c.kind, c.kind))
                for c in offer.certificates
                if c.valid_through(until)
            }
        )
        if valid:
            en = ", ".join(name for name, _ in valid)
            vi = ", ".join(name for _, name in valid)
            return Reason("certified", f"Certified: {en}", f"Đã có chứng nhận: {vi}")
        return certificates_lapse(offer.certificates, until)

    def place(self, district: str) -> Reason:
        return place_fit(district, self.demand.delivery_place)

    def season(self, offer: ProductOffer) -> Reason:
        return season_fit(offer.harvest_months, self.months)

    def group(self, partner_count: int, together: Amount) -> Reason:
        return group_proposal(partner_count, together, self.demand)


UNCERTIFIED = Reason("uncertified", "Holds no certification", "Chưa có chứng nhận nào")


def certificates_lapse(certificates: Iterable[Certificate], until: date) -> Reason:
    """Certificates held, none of them valid to the end of delivery: scored as uncertified,
    but the cooperative does hold them and needs to hear that renewing would count."""
    held = list(certificates)
    names = sorted({CERTIFICATION_NAMES.get(c.kind, (c.kind, c.kind)) for c in held})
    en = ", ".join(name for name, _ in names)
    vi = ", ".join(name for _, name in names)
    last = max(c.expires_on for c in held)
    return Reason(
        "certificates_lapse",
        f"Certified ({en}) only until {date_en(last)}, before delivery ends on {date_en(until)}",
        f"Chứng nhận {vi} chỉ còn hiệu lực đến {date_vi(last)}, "
        f"trước khi kết thúc giao hàng ngày {date_vi(until)}",
    )


def _certificates_held(required: tuple[RequiredCertificate, ...]) -> Reason | None:
    """The reason of every match of a demand requiring these certificates (None if none)."""
    if not required:
        return None
    names = [certificate_name(r) for r in required]
    en = ", ".join(name for name, _ in names)
    vi = ", ".join(name for _, name in names)
    return Reason(
        "certificates_held",
        f"Holds the required {en} certification{'s' if len(names) > 1 else ''}, "
        "valid through the end of delivery",
        f"Có chứng nhận {vi} theo yêu cầu, còn hiệu lực đến hết thời gian giao hàng",
    )


@cache
def place_fit(district: str, delivery_place: str) -> Reason:
    places = place_table()
    km = float(places.distance_km[places.index[delivery_place], places.index[district]])
    name, destination = places.name(district), places.name(delivery_place)
    return Reason(
        "distance",
        f"{name} is {number_en(round(km))} km from the delivery place, {destination}",
        f"{name} cách nơi giao hàng ({destination}) {number_vi(round(km))} km",
    )


@cache
def season_fit(harvest_months: frozenset[int], window: tuple[int, ...]) -> Reason:
    """``window``: the delivery months, in order."""
    if not harvest_months:
        return Reason("all_year", "Available all year", "Có hàng quanh năm")
    covered = sum(1 for month in window if month in harvest_months)
    if covered == len(window):
        code = "in_season"
    else:
        code = "partly_in_season" if covered else "out_of_season"
    return Reason(
        code,
        f"Harvest covers {covered} of the {len(window)} delivery months",
        f"Mùa thu hoạch trùng {covered}/{len(window)} tháng giao hàng",
    )


def group_proposal(partner_count: int, together: Amount, demand: Demand) -> Reason:
    need = Amount(demand.monthly_need(), demand.quantity.unit)
    return Reason(
        "group_proposal",
        f"Proposed with {partner_count} other cooperative(s): together they supply "
        f"{amount_en(together)} of the {amount_en(need)} needed a month",
        f"Đề xuất cùng {partner_count} HTX khác: cùng nhau cung cấp {amount_vi(together)}"
        f" trên {amount_vi(need)}/tháng bên mua cần",
    )


# --- why a match is retracted ---------------------------------------------------------------

DEMAND_CLOSED = Reason(
    "demand_closed", "The business closed the demand", "Doanh nghiệp đã đóng nhu cầu"
)


def delivery_over(last_day: date) -> Reason:
    return Reason(
        "delivery_over",
        f"The demand's delivery ended on {date_en(last_day)}",
        f"Thời gian giao hàng của nhu cầu đã kết thúc ngày {date_vi(last_day)}",
    )


COOPERATIVE_REMOVED = Reason(
    "cooperative_removed",
    "The cooperative's profile was removed",
    "Hồ sơ hợp tác xã đã bị gỡ",
)
PRODUCT_REMOVED = Reason(
    "product_removed",
    "The cooperative no longer offers this product",
    "Hợp tác xã không còn cung cấp sản phẩm này",
)
OUTRANKED = Reason(
    "outranked",
    "Other cooperatives now fit the demand better",
    "Các hợp tác xã khác nay phù hợp hơn với nhu cầu",
)
