"""The one error format: where a field is, said as the client wrote it."""

from __future__ import annotations

import pytest

from shared.web.errors import field_path


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (("body", "products", 0, "monthly_capacity", "unit"), "products[0].monthly_capacity.unit"),
        (("body", "name"), "name"),
        (("body",), "(body)"),
        (("query", "limit"), "limit"),
        (("path", "cooperative_id"), "cooperative_id"),
        (("header", "idempotency-key"), "Idempotency-Key"),
        (
            ("body", "cooperatives", 3, "products", 1, "harvest_months", 0),
            "cooperatives[3].products[1].harvest_months[0]",
        ),
    ],
)
def test_field_paths_read_like_the_request(location: tuple[int | str, ...], expected: str) -> None:
    assert field_path(location) == expected
