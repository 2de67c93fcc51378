"""The matching worker through the real broker: events in, matches, leads and retractions out,
poison records to the dead-letter topic. The worker runs as its own process."""

from __future__ import annotations

import json
from datetime import date

import pytest
import typer
from typer.testing import CliRunner

from services.cli.matching import matching_app
from services.matching.domain import ids
from shared.contract import events as contract
from shared.contract.dead_letter import DeadLetter
from shared.settings import KafkaSettings
from shared.topics import (
    COOPERATIVES,
    DEAD_LETTER,
    DEMANDS,
    FEEDBACK,
    LOAN_LEADS,
    LOAN_PRODUCTS,
    SOURCING_MATCHES,
)
from tests.integration.matching.harness import (
    Published,
    Worker,
    latest,
    mentions,
    partition_of,
    publish,
    publish_raw,
    read_all,
    run_id,
    wait_for,
)
from tests.unit.matching.contract_events import (
    closed,
    cooperative,
    credit_need,
    demand,
    loan_product,
    product,
    withdrawn,
)

pytestmark = pytest.mark.kafka

TIMEOUT = 60.0


def outputs(settings: KafkaSettings, topic: str, run: str) -> dict[str, object]:
    return latest(read_all(settings, topic, mentions(run)))


def test_a_fitting_cooperative_is_matched_with_reasons_and_retracted_when_the_demand_closes(
    kafka_settings: KafkaSettings, module_worker: Worker
) -> None:
    run = run_id()
    certified, uncertified = f"{run}-certified", f"{run}-uncertified"
    organic, plain = f"{run}-organic", f"{run}-plain"
    publish(
        kafka_settings,
        [
            cooperative(
                certified, product(f"{run}-p1", "Sâm bố chính", certifications=["organic"])
            ),
            cooperative(uncertified, product(f"{run}-p2", "Sâm bố chính sấy khô")),
            demand(organic, f"{run}-buyer", "sâm bố chính hữu cơ", required=["organic"]),
            demand(plain, f"{run}-buyer", "sâm bố chính"),
        ],
    )
    certified_match = ids.sourcing_match_id(organic, certified, f"{run}-p1")
    uncertified_for_plain = ids.sourcing_match_id(plain, uncertified, f"{run}-p2")

    found = wait_for(
        lambda: (
            lambda out: out if certified_match in out and uncertified_for_plain in out else None
        )(outputs(kafka_settings, SOURCING_MATCHES.name, run)),
        TIMEOUT,
        "both matches",
    )

    match = found[certified_match]
    assert isinstance(match, contract.SourcingMatchFound)
    assert (match.demand_id, match.cooperative_id) == (organic, certified)
    assert match.business_id == f"{run}-buyer" and 0.0 < match.score <= 1.0
    codes = [reason.code for reason in match.reasons]
    assert "product_kind_match" in codes and "certificates_held" in codes
    assert all(reason.vi and reason.en for reason in match.reasons)
    # The uncertified cooperative fits the demand without a requirement (above), not this one.
    assert not any(
        isinstance(p, contract.SourcingMatchFound)
        and (p.demand_id, p.cooperative_id) == (organic, uncertified)
        for p in found.values()
    )

    publish(kafka_settings, [closed(organic, f"{run}-buyer")])

    def retracted() -> contract.MatchRetracted | None:
        last = outputs(kafka_settings, SOURCING_MATCHES.name, run).get(certified_match)
        return last if isinstance(last, contract.MatchRetracted) else None

    retraction = wait_for(retracted, TIMEOUT, "the retraction of the closed demand's match")
    assert retraction.reason.code == "demand_closed"
    assert (retraction.match_kind, retraction.demand_id) == ("sourcing", organic)
    # By now the worker handled every event of the run: the uncertified cooperative was never
    # proposed for the organic demand.
    every = read_all(kafka_settings, SOURCING_MATCHES.name, mentions(run))
    assert not [
        r
        for r in every
        if r.payload.demand_id == organic and r.payload.cooperative_id == uncertified
    ], "the cooperative without the required certificate was matched"
    publish(  # leave nothing open for later runs on the same broker
        kafka_settings,
        [closed(plain, f"{run}-buyer")]
        + [cooperative(c, updated=True) for c in (certified, uncertified)],
    )


def test_a_demand_whose_delivery_is_over_is_never_matched(
    kafka_settings: KafkaSettings, module_worker: Worker
) -> None:
    run = run_id()
    member, fresh = f"{run}-coop", f"{run}-fresh"
    # On the fresh demand's partition, before it: handled by the time its match is out.
    over = next(
        f"{run}-over-{n}"
        for n in range(100)
        if partition_of(f"{run}-over-{n}") == partition_of(fresh)
    )
    publish(
        kafka_settings,
        [
            cooperative(member, product(f"{run}-p1", "Sâm bố chính")),
            demand(over, f"{run}-buyer", "sâm bố chính", delivered_until=date(2026, 1, 31)),
            demand(fresh, f"{run}-buyer", "sâm bố chính"),
        ],
    )
    fresh_match = ids.sourcing_match_id(fresh, member, f"{run}-p1")

    wait_for(
        lambda: outputs(kafka_settings, SOURCING_MATCHES.name, run).get(fresh_match),
        TIMEOUT,
        "the fresh demand's match",
    )

    every = read_all(kafka_settings, SOURCING_MATCHES.name, mentions(run))
    assert not [r for r in every if r.payload.demand_id == over], "a demand over was matched"
    publish(
        kafka_settings,
        [closed(fresh, f"{run}-buyer"), cooperative(member, updated=True)],
    )


def test_an_eligible_credit_need_becomes_a_lead_for_the_bank_and_is_retracted_on_withdrawal(
    kafka_settings: KafkaSettings, module_worker: Worker
) -> None:
    run = run_id()
    member, bank = f"{run}-coop", f"{run}-bank"
    need = f"{run}-need"
    open_product, strict_product = f"{run}-open", f"{run}-strict"
    publish(
        kafka_settings,
        [
            cooperative(member, members=60),
            credit_need(need, member),
            loan_product(open_product, bank),
            loan_product(strict_product, bank, min_members=5000),
        ],
    )
    lead_id = ids.lead_id(need, open_product)
    strict_lead = ids.lead_id(need, strict_product)

    leads = wait_for(
        lambda: (lambda out: out if lead_id in out else None)(
            outputs(kafka_settings, LOAN_LEADS.name, run)
        ),
        TIMEOUT,
        "the lead",
    )
    lead = leads[lead_id]
    assert isinstance(lead, contract.LoanLeadScored)
    assert (lead.bank_id, lead.credit_need_id, lead.cooperative_id) == (bank, need, member)
    assert lead.reasons and 0.0 < lead.score <= 1.0

    publish(kafka_settings, [withdrawn(open_product, bank)])

    def retracted() -> contract.MatchRetracted | None:
        last = outputs(kafka_settings, LOAN_LEADS.name, run).get(lead_id)
        return last if isinstance(last, contract.MatchRetracted) else None

    retraction = wait_for(retracted, TIMEOUT, "the retraction of the withdrawn product's lead")
    assert (retraction.match_kind, retraction.bank_id) == ("lead", bank)
    assert retraction.reason.code == "loan_product_withdrawn"
    # Everything of the run was handled by now; the ineligible product never made a lead.
    assert strict_lead not in outputs(kafka_settings, LOAN_LEADS.name, run)


def test_poison_records_on_every_input_go_to_the_dead_letter_topic_and_the_worker_goes_on(
    kafka_settings: KafkaSettings, module_worker: Worker
) -> None:
    run = run_id()
    invalid = {
        COOPERATIVES.name: {"type": "CooperativeRegistered", "payload": {"name": 1}},
        DEMANDS.name: {"type": "SourcingDemandPosted", "payload": {"quantity": "lots"}},
        LOAN_PRODUCTS.name: {"type": "LoanProductPublished", "payload": {"bank_id": ""}},
        FEEDBACK.name: {"type": "LeadDecisionRecorded", "payload": {"decision": "maybe"}},
    }
    for topic, document in invalid.items():
        envelope = {"schema_version": 1, "key": f"{run}-x", **document}
        publish_raw(kafka_settings, topic, f"{run}-invalid".encode(), json.dumps(envelope).encode())
        publish_raw(kafka_settings, topic, f"{run}-junk".encode(), b"\x00 not json")
    supplier, wanted = f"{run}-coop", f"{run}-demand"
    publish(
        kafka_settings,
        [
            cooperative(supplier, product(f"{run}-p", "Cà gai leo")),
            demand(wanted, f"{run}-buyer", "cao cà gai leo"),
        ],
    )
    match_id = ids.sourcing_match_id(wanted, supplier, f"{run}-p")

    wait_for(
        lambda: match_id in outputs(kafka_settings, SOURCING_MATCHES.name, run),
        TIMEOUT,
        "a match from events published after the poison records",
    )

    def ours(record: Published) -> bool:
        return record.key.startswith(run) and module_worker.app_id.encode() in record.payload

    def letters() -> list[DeadLetter] | None:
        found = [
            DeadLetter.model_validate_json(r.payload)
            for r in read_all(kafka_settings, DEAD_LETTER.name, ours)
        ]
        return found if len(found) >= 8 else None

    found = wait_for(letters, TIMEOUT, "8 dead letters")
    assert len(found) == 8, "each poison record is dead-lettered once"
    assert {(letter.topic, letter.key) for letter in found} == {
        (topic, f"{run}-{kind}") for topic in invalid for kind in ("invalid", "junk")
    }
    for letter in found:
        assert letter.consumer == module_worker.app_id
        expected = "not UTF-8 JSON" if letter.key == f"{run}-junk" else "invalid"
        assert expected in letter.error or "unknown" in letter.error, letter.error
        assert letter.original_value() is not None
    publish(kafka_settings, [closed(wanted, f"{run}-buyer"), cooperative(supplier, updated=True)])


def test_explain_reads_the_need_its_profile_and_the_loan_products_from_kafka(
    kafka_settings: KafkaSettings,
) -> None:
    run = run_id()
    member, bank = f"{run}-coop", f"{run}-bank"
    publish(
        kafka_settings,
        [
            cooperative(member, members=12),
            credit_need(f"{run}-need", member),
            loan_product(f"{run}-open", bank),
            loan_product(f"{run}-strict", bank, min_members=50),
            loan_product(f"{run}-gone", bank),
            withdrawn(f"{run}-gone", bank),
        ],
    )
    ketnoi = typer.Typer()
    ketnoi.command("status")(lambda: None)
    ketnoi.add_typer(matching_app)

    result = CliRunner().invoke(ketnoi, ["explain", f"{run}-need", "--bank", bank])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"HTX {member} — {run}-need"
    assert any(line.startswith(f"✓ Vay vốn {run}-open") for line in lines)
    assert any(line.startswith(f"✗ Vay vốn {run}-strict") for line in lines)
    assert any("[members]" in line and "Admit 38 more member(s)" in line for line in lines)
    assert not any(f"{run}-gone" in line for line in lines), "a withdrawn product is no offer"


def test_explain_match_reads_the_profiles_and_the_demand_from_kafka(
    kafka_settings: KafkaSettings,
) -> None:
    run = run_id()
    member, business = f"{run}-coop", f"{run}-biz"
    publish(
        kafka_settings,
        [
            cooperative(
                member,
                product(f"{run}-honey", "Mật ong rừng", certifications=["vietgap"]),
                product(f"{run}-plain-honey", "Mật ong hoa cà phê"),
                product(f"{run}-sauce", "Nước mắm cá cơm", certifications=["vietgap"]),
            ),
            demand(f"{run}-demand", business, "mật ong rừng", 1.0, required=["vietgap"]),
        ],
    )
    ketnoi = typer.Typer()
    ketnoi.command("status")(lambda: None)
    ketnoi.add_typer(matching_app)

    result = CliRunner().invoke(ketnoi, ["explain-match", f"{run}-demand", member])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"HTX {member} — {run}-demand (mật ong rừng)"
    assert lines[1].startswith(f"✓ Mật ong rừng ({run}-honey): matched, #")
    plain = lines.index(f"✗ Mật ong hoa cà phê ({run}-plain-honey): not matched")
    assert lines[plain + 1].startswith("    [certificate_missing] ")
    sauce = lines.index(f"✗ Nước mắm cá cơm ({run}-sauce): not matched")
    assert lines[sauce + 1].startswith("    [product_kind_mismatch] ")

    unknown = CliRunner().invoke(ketnoi, ["explain-match", f"{run}-no-such-demand", member])
    assert unknown.exit_code == 1
    assert f"no demand {run}-no-such-demand" in unknown.output
    swapped = CliRunner().invoke(ketnoi, ["explain-match", member, f"{run}-demand"])
    assert swapped.exit_code == 1 and "the order is DEMAND COOPERATIVE" in swapped.output
    publish(kafka_settings, [closed(f"{run}-demand", business)])
    gone = CliRunner().invoke(ketnoi, ["explain-match", f"{run}-demand", member])
    assert gone.exit_code == 1 and "was closed by its business" in gone.output
