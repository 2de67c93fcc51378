"""Reading provincial spreadsheets: Vietnamese headings and values in, API payloads or a list of
bad rows (with why) out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from services.cli.importer import plan_import
from services.cli.main import app

HEADINGS = [
    "Tên HTX", "Loại hình", "Lĩnh vực", "Huyện", "Xã", "Năm thành lập", "Số thành viên",
    "Doanh thu (VNĐ)", "Sản phẩm", "Sản lượng/tháng", "Đơn vị", "Chứng nhận", "Tháng thu hoạch",
]  # fmt: skip
GOOD = [
    ["HTX Nông nghiệp Sen Thủy", "HTX", "Nông nghiệp", "Lệ Thủy", "Sen Thủy", "2015", "120",
     "3.500.000.000", "Gạo hữu cơ", "20", "tấn", "Hữu cơ (30/06/2027); OCOP 4 sao (31/12/2027)",
     "5-6; 9-10"],
    ["HTX Nông nghiệp Sen Thủy", "HTX", "Nông nghiệp", "Lệ Thủy", "Sen Thủy", "2015", "120",
     "3.500.000.000", "Nếp cái hoa vàng", "2,5", "tạ", "", ""],
    ["Quỹ TDND Quảng Thuận", "Quỹ TDND", "Tín dụng", "Thị xã Ba Đồn", "Quảng Thuận", "1997",
     "2100", "", "", "", "", "", ""],
]  # fmt: skip


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows([HEADINGS, *rows])
    return path


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADINGS, *rows]:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("write", [_csv, _xlsx], ids=["csv", "xlsx"])
def test_good_rows_become_cooperatives_with_their_products(tmp_path: Path, write: object) -> None:
    path = write(tmp_path / ("htx.csv" if write is _csv else "htx.xlsx"), GOOD)  # type: ignore[operator]
    plan = plan_import(path)

    assert plan.problems == []
    assert plan.rows_read == 3
    sen_thuy, fund = plan.cooperatives
    assert plan.source_rows == [[2, 3], [4]]
    assert sen_thuy["district"] == "le-thuy"
    assert sen_thuy["sector"] == "agriculture"
    assert sen_thuy["annual_revenue_vnd"] == 3_500_000_000
    rice, sticky_rice = sen_thuy["products"]
    assert rice["harvest_months"] == [5, 6, 9, 10]
    assert rice["certifications"] == [
        {"kind": "organic", "expires_on": "2027-06-30"},
        {"kind": "ocop", "expires_on": "2027-12-31", "stars": 4},
    ]
    assert sticky_rice["monthly_capacity"] == {"amount": 2.5, "unit": "tạ"}
    assert fund["kind"] == "credit_fund"
    assert fund["district"] == "ba-don"
    assert fund["products"] == []
    assert plan.organisation_id(sen_thuy) != plan.organisation_id(fund)


def test_each_bad_row_is_reported_with_its_column_and_why(tmp_path: Path) -> None:
    bad = [
        [*GOOD[0][:10], "bao", *GOOD[0][11:]],
        [*GOOD[0][:3], "Huế", *GOOD[0][4:]],
        ["", *GOOD[0][1:]],
        [*GOOD[0][:5], "hai nghìn", *GOOD[0][6:]],
        [*GOOD[0][:11], "OCOP (31/12/2027)", *GOOD[0][12:]],
        [*GOOD[0][:12], "4, 13"],
        [*GOOD[1][:6], "99", *GOOD[1][7:]],
    ]
    plan = plan_import(_csv(tmp_path / "bad.csv", [GOOD[0], *bad]))

    found = {(problem.row, problem.column): problem.reason for problem in plan.problems}
    assert "unknown unit 'bao'" in found[(3, "đơn vị")]
    assert "not a district" in found[(4, "huyện")]
    assert found[(5, "tên htx")] == "required"
    assert "not a whole number" in found[(6, "năm thành lập")]
    assert "stars" in found[(7, "chứng nhận")]
    assert "less than or equal to 12" in found[(8, "tháng thu hoạch")]
    assert "differs from row 2" in found[(9, "số thành viên")]
    assert plan.source_rows == [[2]]


def test_a_file_without_a_required_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("Tên HTX;Huyện\nHTX A;Lệ Thủy\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        plan_import(path)


def test_the_dry_run_lists_bad_rows_and_sends_nothing(tmp_path: Path) -> None:
    path = _csv(tmp_path / "bad.csv", [[*GOOD[0][:10], "bao", *GOOD[0][11:]]])
    result = CliRunner().invoke(app, ["import", "cooperatives", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert "unknown unit 'bao'" in result.output
    assert "nothing was imported" in result.output


def test_a_good_dry_run_says_so(tmp_path: Path) -> None:
    path = _csv(tmp_path / "good.csv", GOOD)
    result = CliRunner().invoke(app, ["import", "cooperatives", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2 cooperative(s)" in result.output
    assert "nothing was sent" in result.output
