"""``ketnoi seed`` and ``ketnoi import`` through the services' public HTTP APIs."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.cli.importer import ImportRefused, plan_import, send
from services.cli.seed import load_data, make_plan, run_seed
from shared import reference
from shared.identity.model import Role
from shared.identity.organiser import OrganiserDesk
from shared.identity.settings import IdentitySettings
from tests.integration.ingest.harness import Deployment, count_rows, deploy, outbox_events


@pytest.fixture
def fresh(tmp_path: Path, identity_settings: IdentitySettings) -> Iterator[Deployment]:
    names = ("cooperatives", "businesses", "banks")
    running = deploy(
        "sqlite", {n: f"sqlite:///{tmp_path / n}.sqlite3" for n in names}, identity_settings
    )
    try:
        yield running
    finally:
        running.close()


def _clients(deployment: Deployment) -> dict[str, Any]:
    return {name: service.client for name, service in deployment.services.items()}


def test_the_seed_loads_quang_binh_through_the_apis_and_can_run_again(
    fresh: Deployment, identity_settings: IdentitySettings
) -> None:
    desk = OrganiserDesk(identity_settings)
    plan = make_plan(load_data())
    steps: Counter[str] = Counter()

    first = run_seed(plan, _clients(fresh), desk, lambda what: steps.update([what]))

    assert sum(steps.values()) == plan.request_count
    assert first.created["cooperatives"] == 150
    assert first.created["loan products"] >= 6
    assert 40 <= first.created["demands"] <= 120
    assert first.created["credit needs"] >= 50
    assert count_rows(fresh.cooperatives, "cooperatives_profiles") == 150
    with fresh.cooperatives.database.engine.connect() as connection:
        table = fresh.cooperatives.spec.metadata.tables["cooperatives_profiles"]
        rows = connection.execute(table.select()).all()
    assert {row.district for row in rows} == set(reference.district_codes())
    assert {row.sector for row in rows} == set(reference.sector_codes())
    assert Counter(row.kind for row in rows).keys() == {"htx", "tht", "union", "credit_fund"}
    lenders = {member.name for member in plan.of_role(Role.BANK)}
    assert len(lenders) == 6
    assert len(plan.of_role(Role.BUSINESS)) == 40

    second = run_seed(plan, _clients(fresh), desk)

    assert sum(second.created.values()) == 0
    assert second.already_there == first.created
    assert count_rows(fresh.cooperatives, "cooperatives_profiles") == 150
    assert count_rows(fresh.businesses, "businesses_demands") == first.created["demands"]


def _spreadsheet(path: Path, rows: list[list[str]]) -> Path:
    headings = ["Tên HTX", "Loại hình", "Lĩnh vực", "Huyện", "Xã", "Năm thành lập",
                "Số thành viên", "Sản phẩm", "Sản lượng/tháng", "Đơn vị"]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([headings, *rows])
    return path


def _row(name: str) -> list[str]:
    return [
        name,
        "HTX",
        "Nông nghiệp",
        "Minh Hóa",
        "Tân Hóa",
        "2018",
        "25",
        "Mật ong rừng",
        "300",
        "lít",
    ]


def test_an_import_is_all_or_nothing_and_not_twice(
    fresh: Deployment, identity_settings: IdentitySettings, tmp_path: Path
) -> None:
    desk = OrganiserDesk(identity_settings)
    organiser, _ = desk.create("Liên minh HTX tỉnh", Role.ORGANISER, "org-lien-minh-htx")
    token = desk.token(organiser, timedelta(hours=1))
    client = fresh.cooperatives.client
    first_file = _spreadsheet(
        tmp_path / "dot-1.csv", [_row("HTX Ong mật Tân Hóa"), _row("HTX Dược liệu Tân Hóa")]
    )
    plan = plan_import(first_file)

    imported, was_replayed = send(plan, client, token)
    again, is_replayed = send(plan, client, token)

    assert [item.name for item in imported] == ["HTX Ong mật Tân Hóa", "HTX Dược liệu Tân Hóa"]
    assert (was_replayed, is_replayed) == (False, True)
    assert again == imported
    assert count_rows(fresh.cooperatives, "cooperatives_profiles") == 2
    assert len(outbox_events(fresh.cooperatives)) == 2

    second_file = _spreadsheet(
        tmp_path / "dot-2.csv", [_row("HTX Du lịch Tân Hóa"), _row("HTX Ong mật Tân Hóa")]
    )
    with pytest.raises(ImportRefused) as refused:
        send(plan_import(second_file), client, token)

    assert [(p.row, p.column) for p in refused.value.problems] == [
        (3, "cooperatives[1].organisation_id")
    ]
    assert count_rows(fresh.cooperatives, "cooperatives_profiles") == 2


def test_seed_dates_follow_the_month(identity_settings: IdentitySettings) -> None:
    data = load_data()
    same = (
        make_plan(data, 20, 5, today=date(2027, 3, 2)),
        make_plan(data, 20, 5, today=date(2027, 3, 30)),
    )
    later = make_plan(data, 20, 5, today=date(2027, 4, 1))
    assert same[0] == same[1]
    demands = [r.body for m in later.of_role(Role.BUSINESS) for r in m.requests]
    assert min(d["delivery_from"] for d in demands) >= "2027-04-01"
