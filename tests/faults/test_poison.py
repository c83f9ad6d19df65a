"""1,000 poison messages mixed into the stream: every consumer parks each one on the topic's
dead-letter topic, once, and goes on with the partition, so the good applications all finish;
`vouchers dlq list` shows them; replaying a parked message once its cause is fixed is idempotent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from vouchers_shared import topics
from vouchers_shared.events import CoiAssessed, ContractCoi
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.publisher import Outgoing

from tests.support.batch import Filer, Planned
from tests.support.events import publish
from tests.support.fault_rig import FaultRig
from tests.support.poison import CONSUMERS, Parked, Poison, Producer, by_poison, expected, mix, parked
from tests.support.samples import application_for, make_uscc
from tests.support.suite import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(900)]
POISON = 1000
VOUCHERS = Path(sys.executable).with_name("vouchers")


def vouchers(rig: FaultRig, *args: str) -> list[dict[str, Any]]:
    """Run the operators' command line against the rig; its JSON lines."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": rig.own.infra.kafka_bootstrap}
    done = subprocess.run(
        [str(VOUCHERS), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_poison_is_parked_once_per_consumer_and_the_stream_moves_on(rig: FaultRig) -> None:
    sent: list[Poison] = []

    def fault(planned: list[Planned], filer: Filer) -> dict[str, Any]:
        poison = mix(POISON, [p.uscc for p in planned])
        batches = (poison[i : i + 50] for i in range(0, len(poison), 50))
        began = time.monotonic()
        Producer(rig.own.infra.kafka_bootstrap).send(batches, between=0.1)
        sent.extend(poison)
        return {
            "poison_sent": len(poison),
            "poison_seconds": round(time.monotonic() - began, 1),
            "poison_kinds": dict(Counter(p.kind for p in poison)),
        }

    tally = rig.run("poison", fault)
    assert tally.duplicates == 0, tally.doubled
    assert tally.lost == 0, tally.missing

    want = expected(sent)

    def all_parked() -> list[Parked] | None:
        records = parked(rig.own.infra.kafka_bootstrap)
        have = Counter(r.topic for r in records if "x-poison" in r.headers)
        return records if all(have[t] >= n for t, n in want.items()) else None

    records: list[Parked] = wait_for(
        "every poison message on its dead-letter topics", all_parked, timeout=300, every=2.0
    )
    parkers = by_poison(records)
    for item in sent:
        services = parkers.get((str(item.n), topics.dlq_topic(item.topic)), [])
        assert sorted(services) == sorted(CONSUMERS[item.topic][1]), (item.kind, item.topic, services)
    for dlq in want:
        listed = vouchers(rig, "dlq", "list", dlq.removesuffix(".dlq"))
        assert len(listed) == sum(1 for r in records if r.topic == dlq)
        assert all(row["error"] and row["attempts"] for row in listed)


def test_replaying_a_parked_message_after_its_fix_is_idempotent(rig: FaultRig) -> None:
    """A conflict verdict parked because eligibility had lost the application (say, a store
    restored from an older backup) is replayed once the application is back: it is assessed
    once; replaying it again changes nothing."""
    uscc = make_uscc(9_000_001)
    application_id = f"SZV2026-REPLAY{time.time_ns() % 10**10:010d}"
    app = application_for(uscc)
    verdict = CoiAssessed(
        application_id=application_id,
        applicant_uscc=uscc,
        outcome="clear",
        contracts=[
            ContractCoi(contract_no=c["contract_no"], provider_uscc=c["provider_uscc"], outcome="clear")
            for c in app["contracts"]
        ],
        findings=[],
        assessed_at=datetime.now(UTC),
    )
    event = Outgoing(
        topic=topics.COI,
        key=uscc,
        payload=verdict,
        correlation_id=application_id,
        envelope=Envelope.new(topics.COI_ASSESSED, "/tests/replay", application_id),
    )
    publish(rig.own.infra.kafka_bootstrap, event)

    def parked_verdict() -> Parked | None:
        return next(
            (r for r in parked(rig.own.infra.kafka_bootstrap) if r.headers.get("ce_id") == event.envelope.id),
            None,
        )

    record: Parked = wait_for("the verdict parked by eligibility", parked_verdict, timeout=120)
    assert record.headers["dlq_service"] == "eligibility"
    assert "unknown application" in record.headers["dlq_error"]

    with rig.suite.store() as client:  # the fix: eligibility has the application again
        client["vouchers_eligibility"]["applications"].insert_one(
            {
                "_id": application_id,
                "applicant_uscc": uscc,
                "program_year": 2026,
                "submitted_at": datetime(2026, 5, 20, 2, 0, tzinfo=UTC),
                "application": app,
                "contracts": [f"{c['provider_uscc']}|{c['contract_no']}" for c in app["contracts"]],
            }
        )

    at = f"{record.partition}:{record.offset}"
    assert vouchers(rig, "dlq", "replay", topics.COI, "--at", at) == [{"replayed": 1}]
    first = wait_for(
        "the replayed verdict assessed", lambda: _assessed(rig, application_id, uscc), timeout=120
    )
    dead_letters = len(parked(rig.own.infra.kafka_bootstrap))

    assert vouchers(rig, "dlq", "replay", topics.COI, "--at", at) == [{"replayed": 1}]
    wait_for("the second replay read by eligibility", lambda: _replay_seen(rig), timeout=120)
    assert _assessed(rig, application_id, uscc) == first
    assert len(parked(rig.own.infra.kafka_bootstrap)) == dead_letters


def _assessed(rig: FaultRig, application_id: str, uscc: str) -> tuple[Any, ...] | None:
    """(eligibility verdict ids, reserved amount, ledger revision) once assessed."""
    ids = rig.watch.ids_about(application_id)[topics.ELIGIBILITY]
    with rig.suite.store() as client:
        ledger = client["vouchers_eligibility"]["ledgers"].find_one({"_id": f"{uscc}:2026"})
    if not ids or ledger is None:
        return None
    return (frozenset(ids), Decimal(ledger["reserved"][application_id]), ledger["revision"])


def _replay_seen(rig: FaultRig) -> bool:
    """True once eligibility-rules has committed everything on the topic (the replay too)."""
    rig.watch.catch_up()
    return rig.consumer_caught_up("eligibility-rules", topics.COI)
