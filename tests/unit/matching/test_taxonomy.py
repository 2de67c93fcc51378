"""The taxonomy names product kinds, so words shared by different products do not match."""

from __future__ import annotations

import json

import pytest

from services.matching.domain.taxonomy import (
    BROADER_KIND,
    DEFAULT_TAXONOMY_PATH,
    MISMATCH,
    SAME_KIND,
    UNKNOWN_KIND,
    OcopGroup,
    ProductKind,
    Taxonomy,
    default_taxonomy,
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Nước mắm cá cơm Cảnh Dương", "fish_sauce"),
        ("nuoc mam", "fish_sauce"),
        ("Mắm ruốc Quảng Bình", "shrimp_paste"),
        ("mắm tôm", "shrimp_paste"),
        ("mắm", "fermented_seafood"),
        ("gao huu co", "organic_rice"),
        ("Gạo thơm", "rice"),
        ("tôm thẻ chân trắng", "whiteleg_shrimp"),
        ("Tôm sú", "tiger_shrimp"),
        ("Khoai lang sấy dẻo", "dried_sweet_potato"),
        ("khoai lang tươi", "sweet_potato"),
        ("Tinh dầu tràm", "cajeput_oil"),
        ("Mật ong hoa tràm", "honey"),
        ("Nấm linh chi đỏ", "reishi"),
        ("Chè vằng", "herbal_tea"),
        ("Nón lá", "conical_hat"),
        ("Mây tre đan", "rattan_bamboo"),
        ("Mực một nắng", "dried_squid"),
        ("Homestay Phong Nha", "community_tourism"),
    ],
)
def test_classify_finds_the_kind_a_text_names(text: str, kind: str) -> None:
    assert default_taxonomy().classify(text) == kind


def test_classify_returns_none_for_text_naming_no_known_kind() -> None:
    assert default_taxonomy().classify("đạt tiêu chuẩn chất lượng") is None


def test_the_product_name_decides_over_the_description() -> None:
    taxonomy = default_taxonomy()
    kind = taxonomy.classify_product("Mắm ruốc", "ăn kèm nước mắm và rau sống")
    assert kind == "shrimp_paste"
    assert taxonomy.classify_product("Đặc sản Lý Hòa", "nước mắm truyền thống") == "fish_sauce"


def test_compatibility_between_kinds() -> None:
    taxonomy = default_taxonomy()
    assert taxonomy.compatibility_of("rice", "organic_rice") == SAME_KIND
    assert taxonomy.compatibility_of("organic_rice", "rice") == pytest.approx(BROADER_KIND)
    assert taxonomy.compatibility_of("fish_sauce", "shrimp_paste") == MISMATCH
    assert taxonomy.compatibility_of("whiteleg_shrimp", "tiger_shrimp") == MISMATCH
    assert taxonomy.compatibility_of("fermented_seafood", "fish_sauce") == SAME_KIND
    assert taxonomy.compatibility_of(None, "rice") == UNKNOWN_KIND
    assert taxonomy.compatibility_of("rice", None) == UNKNOWN_KIND


def test_taxonomy_file_uses_exactly_the_six_ocop_groups() -> None:
    data = json.loads(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    groups = {row["code"] for row in data["ocop_groups"]}
    assert groups == {"food", "beverages", "herbs", "textiles", "souvenirs", "rural_tourism"}
    assert {row["ocop_group"] for row in data["kinds"]} == groups


def test_a_synonym_naming_two_kinds_is_rejected() -> None:
    groups = {"food": OcopGroup("food", "Thực phẩm", "Food")}
    kinds = (
        ProductKind("a", "A", "A", "food", None, ("mắm",)),
        ProductKind("b", "B", "B", "food", None, ("mam",)),
    )
    with pytest.raises(ValueError, match="names both a and b"):
        Taxonomy(groups, kinds)


def test_a_kind_with_an_unknown_parent_is_rejected() -> None:
    groups = {"food": OcopGroup("food", "Thực phẩm", "Food")}
    kinds = (ProductKind("a", "A", "A", "food", "missing", ("x",)),)
    with pytest.raises(ValueError, match="unknown parent"):
        Taxonomy(groups, kinds)
