"""Sourcing matches: product kind, certificates, capacity, place, season and groups."""

from __future__ import annotations

import warnings
from datetime import date

import pytest

from services.matching.domain.engine import MatchingEngine
from services.matching.domain.model import Amount
from tests.unit.matching.builders import (
    certified,
    cooperative,
    demand,
    offer,
    required,
)


def ranked(engine: MatchingEngine, demand_id: str = "d1") -> list[str]:
    return [m.cooperative_id for m in engine.matches_for(demand_id)]


def test_unaccented_demand_finds_the_accented_product() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("rice", offer("Gạo hữu cơ Bố Trạch")),
            cooperative("sauce", offer("Nước mắm cá cơm")),
        ]
    )
    delta = engine.upsert_demand(demand(product="gao huu co"))
    assert [m.cooperative_id for m in delta.matches] == ["rice"]
    assert delta.matches[0].reasons[0].code == "product_kind_match"


def test_fish_sauce_demand_does_not_match_shrimp_paste_and_says_why() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("sauce", offer("Nước mắm truyền thống", 5, unit="litre")),
            cooperative("paste", offer("Mắm ruốc Quảng Bình", 5)),
        ]
    )
    engine.upsert_demand(demand(product="Nước mắm", tonnes=1000, unit="litre"))
    assert ranked(engine) == ["sauce"]
    reasons = engine.exclusions("d1", "paste")["p1"]
    assert [r.code for r in reasons] == ["product_kind_mismatch"]
    assert "shrimp paste" in reasons[0].en and "fish sauce" in reasons[0].en


def test_shrimp_paste_demand_does_not_match_fish_sauce() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("sauce", offer("Nước mắm truyền thống", 5)),
            cooperative("paste", offer("Mắm tôm Lý Hòa", 5)),
        ]
    )
    engine.upsert_demand(demand(product="mam ruoc", tonnes=1))
    assert ranked(engine) == ["paste"]


def test_a_general_demand_accepts_a_more_specific_product() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperative(cooperative("c1", offer("Gạo hữu cơ")))
    engine.upsert_demand(demand(product="Gạo"))
    assert ranked(engine) == ["c1"]


def test_a_required_certificate_the_cooperative_lacks_excludes_it() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("holder", offer(certificates=(certified("vietgap"),))),
            cooperative("lacking", offer(certificates=(certified("organic"),))),
        ]
    )
    engine.upsert_demand(demand(required=(required("vietgap"),)))
    assert ranked(engine) == ["holder"]
    [reason] = engine.exclusions("d1", "lacking")["p1"]
    assert reason.code == "certificate_missing"
    assert "VietGAP" in reason.en and "VietGAP" in reason.vi


def test_a_certificate_expiring_before_delivery_ends_excludes_with_the_dates() -> None:
    until = date(2026, 6, 30)
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("valid-to-the-day", offer(certificates=(certified("organic", until),))),
            cooperative("expired", offer(certificates=(certified("organic", date(2026, 6, 29)),))),
        ]
    )
    engine.upsert_demand(demand(delivery_until=until, required=(required("organic"),)))
    assert ranked(engine) == ["valid-to-the-day"]
    [reason] = engine.exclusions("d1", "expired")["p1"]
    assert reason.code == "certificate_expired"
    assert "2026-06-29" in reason.en and "2026-06-30" in reason.en
    assert "29/06/2026" in reason.vi


def test_a_certificate_lapsing_during_delivery_is_not_called_no_certification() -> None:
    # Without a requirement the pair still matches, at the uncertified score; the reason says
    # the certificate lapses before delivery ends, not that the cooperative holds none.
    engine = MatchingEngine()
    lapsing = certified("organic", date(2026, 5, 31))
    engine.upsert_cooperative(cooperative("c1", offer(certificates=(lapsing,))))
    [match] = engine.upsert_demand(demand(delivery_until=date(2026, 6, 30))).matches
    assert match.components["certification"] == 0.5
    [reason] = [r for r in match.reasons if r.code.startswith(("cert", "uncert"))]
    assert reason.code == "certificates_lapse"
    assert "organic" in reason.en and "2026-05-31" in reason.en and "2026-06-30" in reason.en
    assert "hữu cơ" in reason.vi and "31/05/2026" in reason.vi and "30/06/2026" in reason.vi


def test_ocop_stars_below_the_requirement_exclude() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("four", offer(certificates=(certified("ocop", stars=4),))),
            cooperative("five", offer(certificates=(certified("ocop", stars=5),))),
            cooperative("three", offer(certificates=(certified("ocop", stars=3),))),
        ]
    )
    engine.upsert_demand(demand(required=(required("ocop", min_stars=4),)))
    assert sorted(ranked(engine)) == ["five", "four"]
    [reason] = engine.exclusions("d1", "three")["p1"]
    assert reason.code == "ocop_stars_too_low"


def test_every_unmet_requirement_is_reported() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperative(cooperative("c1", offer("Nước mắm")))
    engine.upsert_demand(demand(required=(required("vietgap"), required("haccp"))))
    codes = [r.code for r in engine.exclusions("d1", "c1")["p1"]]
    assert codes == ["product_kind_mismatch", "certificate_missing", "certificate_missing"]


def test_a_cooperative_with_a_tenth_of_the_volume_ranks_below_one_that_fills_it() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("small", offer(tonnes=1.0), district="dong-hoi"),
            cooperative("enough", offer(tonnes=12.0), district="le-thuy"),
        ]
    )
    engine.upsert_demand(demand(tonnes=10.0))
    matches = engine.matches_for("d1")
    assert [m.cooperative_id for m in matches] == ["enough", "small"]
    assert matches[1].components["capacity"] == pytest.approx(0.1)
    assert matches[1].reasons[1].code == "capacity_partial"


def test_a_one_off_quantity_is_spread_over_the_delivery_months() -> None:
    one_off = demand(
        tonnes=12.0,
        monthly=False,
        delivery_from=date(2026, 1, 15),
        delivery_until=date(2026, 4, 10),
    )
    assert one_off.delivery_months() == (1, 2, 3, 4)
    assert one_off.monthly_need() == pytest.approx(3000.0)


def test_capacity_in_another_unit_counts_nothing() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperative(cooperative("c1", offer("Nước mắm", 5000, unit="litre")))
    engine.upsert_demand(demand(product="Nước mắm", tonnes=1.0))
    [match] = engine.matches_for("d1")
    assert match.components["capacity"] == 0.0
    assert match.reasons[1].code == "capacity_other_unit"
    # In the users' words, not the unit codes ("Năng lực tính theo litre").
    assert match.reasons[1].en.startswith("Capacity is given in litres, the demand in kg")
    assert match.reasons[1].vi.startswith("Năng lực tính theo lít, nhu cầu theo kg")


def test_a_vanishing_need_is_covered_by_any_capacity_without_a_division_by_zero() -> None:
    # The contract takes any positive amount; 1e-300 t is 0 in the index's float32.
    engine = MatchingEngine()
    engine.upsert_cooperative(cooperative("c1", offer(tonnes=20.0)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "divide by zero" is a warning
        engine.upsert_demand(demand(tonnes=1e-300))
    [match] = engine.matches_for("d1")
    assert match.components["capacity"] == 1.0


def test_harvest_outside_the_delivery_window_lowers_the_season_component() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("autumn", offer(harvest_months=frozenset({9, 10}))),
            cooperative("spring", offer(harvest_months=frozenset({3, 4}))),
            cooperative("all-year", offer()),
        ]
    )
    engine.upsert_demand(demand(delivery_from=date(2026, 3, 1), delivery_until=date(2026, 4, 30)))
    seasons = {m.cooperative_id: m.components["season"] for m in engine.matches_for("d1")}
    assert seasons == {"autumn": 0.0, "spring": 1.0, "all-year": 1.0}


def test_the_closer_cooperative_ranks_higher_all_else_equal() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("far", offer(), district="minh-hoa"),
            cooperative("near", offer(), district="dong-hoi"),
        ]
    )
    engine.upsert_demand(demand(place="dong-hoi"))
    assert ranked(engine) == ["near", "far"]
    assert engine.matches_for("d1")[0].components["place"] == pytest.approx(1.0)


def test_cooperatives_that_together_fill_a_demand_are_proposed_as_a_group() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("a", offer("Nón lá", 2000, unit="piece")),
            cooperative("b", offer("Nón lá", 2000, unit="piece")),
            cooperative("c", offer("Nón lá", 1500, unit="piece")),
        ]
    )
    engine.upsert_demand(demand(product="Nón lá", tonnes=5000, unit="piece"))
    partners = {m.cooperative_id: m.partners for m in engine.matches_for("d1")}
    assert partners == {"a": ("b", "c"), "b": ("a", "c"), "c": ("a", "b")}
    reason = engine.matches_for("d1")[0].reasons[-1]
    assert reason.code == "group_proposal"
    assert "5,500 pieces" in reason.en


def test_no_group_when_one_cooperative_fills_the_demand() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [
            cooperative("big", offer(tonnes=12.0)),
            cooperative("a", offer(tonnes=6.0)),
            cooperative("b", offer(tonnes=6.0)),
        ]
    )
    engine.upsert_demand(demand(tonnes=10.0))
    assert all(m.partners == () for m in engine.matches_for("d1"))


def test_a_cooperative_appears_once_with_its_best_product() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperative(
        cooperative(
            "c1",
            offer("Gạo trắng", 2.0, product_id="small"),
            offer("Gạo hữu cơ", 20.0, product_id="big"),
        )
    )
    engine.upsert_demand(demand(product="Gạo"))
    [match] = engine.matches_for("d1")
    assert match.product_id == "big"


def test_only_the_top_k_are_published() -> None:
    engine = MatchingEngine(top_k=3)
    engine.upsert_cooperatives([cooperative(f"c{i}", offer(tonnes=10.0 + i)) for i in range(6)])
    engine.upsert_demand(demand(tonnes=10.0))
    ranked = engine.matches_for("d1")
    assert len(ranked) == 3
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)


def test_scores_and_components_are_in_the_unit_interval() -> None:
    engine = MatchingEngine()
    engine.upsert_cooperatives(
        [cooperative(f"c{i}", offer(tonnes=float(i + 1)), district="ba-don") for i in range(4)]
    )
    engine.upsert_demand(demand(place="ho-chi-minh"))
    for match in engine.matches_for("d1"):
        assert 0.0 <= match.score <= 1.0
        assert all(0.0 <= value <= 1.0 for value in match.components.values())
        assert set(match.components) == {
            "text",
            "kind",
            "capacity",
            "certification",
            "place",
            "season",
        }


def test_demand_amount_is_compared_after_unit_conversion() -> None:
    engine = MatchingEngine()
    ten_tonnes_in_quintals = offer(tonnes=10.0)  # builders convert tonnes to kg
    assert ten_tonnes_in_quintals.monthly_capacity == Amount(10_000.0, "kg")
    engine.upsert_cooperative(cooperative("c1", ten_tonnes_in_quintals))
    engine.upsert_demand(demand(tonnes=10.0))
    assert engine.matches_for("d1")[0].components["capacity"] == 1.0
