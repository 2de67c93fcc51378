"""Folding makes typed-without-accents text equal to properly accented text."""

from __future__ import annotations

import pytest

from services.matching.domain.vietnamese_text import fold, fold_words


@pytest.mark.parametrize(
    ("accented", "bare"),
    [
        ("Gạo hữu cơ", "gao huu co"),
        ("Nước mắm Đồng Hới", "nuoc mam dong hoi"),
        ("ĐẶC SẢN QUẢNG BÌNH", "dac san quang binh"),
        ("tôm thẻ chân trắng", "tom the chan trang"),
        ("Tinh dầu tràm", "tinh dau tram"),
    ],
)
def test_fold_removes_diacritics_case_and_d_stroke(accented: str, bare: str) -> None:
    assert fold(accented) == bare


def test_fold_treats_composed_and_decomposed_input_alike() -> None:
    import unicodedata

    text = "Mắm ruốc"
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


def test_fold_words_turns_punctuation_into_single_spaces() -> None:
    assert fold_words("Gạo  hữu-cơ (ST25), Bố Trạch!") == "gao huu co st25 bo trach"
