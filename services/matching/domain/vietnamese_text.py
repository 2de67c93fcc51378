"""Folding Vietnamese text so that "gao huu co" and "Gạo Hữu Cơ" compare equal.

People type without diacritics on phones and in searches; the matcher compares folded text.
"""

from __future__ import annotations

import re
import unicodedata

# đ/Đ are letters of their own, not d plus a mark, so decomposition leaves them alone.
_D_STROKE = str.maketrans({"đ": "d", "Đ": "d"})
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case without diacritics: "Nước mắm Đồng Hới" -> "nuoc mam dong hoi"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_STROKE))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare).casefold()


def fold_words(text: str) -> str:
    """Folded text with punctuation turned into single spaces, for phrase look-ups."""
    return _NOT_WORD.sub(" ", fold(text)).strip()
