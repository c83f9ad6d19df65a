"""The benchmark's ceilings and round-trip accounting: the Kafka ceiling moves the records the
pipeline moves, through its consumer groups; the store ceiling issues the commands the services
sent, as many and as large; the figures are computed as they say."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from eligibility.app import create_app as eligibility_app
from fastapi import FastAPI
from intake.app import create_app as intake_app
from notification.app import create_app as notification_app
from verification.app import create_app as verification_app
from vouchers_shared import signing_key, topics
from vouchers_shared.topics import REFDATA_TOPICS

from deploy.bench import batches, roundtrips
from deploy.bench.ceiling import FLOWS, Join, Progress, rates, read_per_application, records_per_application
from deploy.bench.store_ceiling import BATCH, ENVELOPE_BYTES, FERRETDB_UPDATES, Op, ops_of, round_trips

TOPIC_OF = {
    "submitted": topics.APPLICATIONS,
    "coi": topics.COI,
    "eligibility": topics.ELIGIBILITY,
    "verification": topics.VERIFICATION,
    "decision": topics.DECISIONS,
    "notice": topics.NOTICES,
}
APPS: dict[str, Callable[[], FastAPI]] = {
    "intake": intake_app,
    "eligibility": eligibility_app,
    "verification": verification_app,
    "notification": notification_app,
}


@pytest.fixture(scope="module")
def apps() -> Iterator[dict[str, FastAPI]]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VOUCHERS_TOKEN_KEY", signing_key.generate())  # each service needs one to start
        yield {name: create() for name, create in APPS.items()}


def test_the_ceiling_has_the_services_consumer_groups_on_their_topics(apps: dict[str, FastAPI]) -> None:
    subscribed = {
        (name, sub.group_id): set(sub.topic_names)
        for name, app in apps.items()
        for sub in app.state.broker.subscribers
        if not set(sub.topic_names) <= set(REFDATA_TOPICS)
    }
    modelled = {(f.service, f.group): {TOPIC_OF[k] for k in f.reads} for f in FLOWS}
    assert modelled == subscribed


def test_each_flow_sends_only_to_topics_its_service_publishes(apps: dict[str, FastAPI]) -> None:
    for flow in FLOWS:
        publishes = {p.topic for p in apps[flow.service].state.broker.publishers}
        sends = set(flow.emits.values()) | ({flow.joins[1]} if flow.joins else set())
        assert {TOPIC_OF[k] for k in sends} <= publishes, flow.group


def test_an_application_is_five_records_produced_and_thirteen_read() -> None:
    # submitted, coi, eligibility, verification, decision; read: submitted by four groups,
    # coi by three, eligibility and verification by two, the decision by two.
    assert records_per_application() == {"produced": 5, "consumed": 13}
    assert {f.group: read_per_application(f) for f in FLOWS} == {
        "eligibility-coi": 1,
        "eligibility-rules": 2,
        "verification": 1,
        "notification-cases": 4,
        "intake-status": 5,
    }


def test_the_join_sends_once_when_the_last_of_the_three_verdicts_comes_in_any_order() -> None:
    join = Join(("coi", "eligibility", "verification"))
    assert not join.add(b"a", "submitted")
    assert [join.add(b"a", k) for k in ("verification", "coi", "coi", "eligibility")] == [
        False,
        False,
        False,
        True,
    ]
    assert [join.add(b"b", k) for k in ("eligibility", "coi")] == [False, False]
    assert join.add(b"b", "verification")


def test_rates_time_the_ceiling_as_the_pipeline_is_timed() -> None:
    sent = {"a": 100.0, "b": 100.5, "c": 101.0}
    verdicts = {
        "a": {"coi": 101.0, "eligibility": 102.0, "verification": 101.5},
        "b": {"coi": 101.0, "eligibility": 103.0, "verification": 104.0},
        "c": {"coi": 102.0, "verification": 102.0},
    }  # no eligibility verdict: not complete
    got = rates(sent, verdicts, drained_at=106.0)
    assert got["completed"] == 2
    assert got["span_s"] == 4.0  # the first record sent to the last verdict
    assert got["throughput_apps_per_s"] == 0.5
    assert got["drained_s"] == 6.0
    assert got["drained_apps_per_s"] == 0.5  # of every application sent
    assert got["latency_s"]["p50"] == pytest.approx(2.75)  # (2.0 + 3.5) / 2
    assert rates(sent, verdicts, None)["drained_apps_per_s"] == 0.0


def test_the_ceiling_is_drained_when_every_group_has_read_all_of_its_records() -> None:
    progress = Progress()
    expected = {"g1": 10, "g2": 20}
    progress.read = {"g1": (10, 5.0), "g2": (19, 6.0)}
    assert progress.drained_at(expected) is None
    progress.read["g2"] = (20, 7.5)
    assert progress.drained_at(expected) == 7.5


INTAKE, CASES = "vouchers_intake.applications", "vouchers_notification.cases"


def page(
    counts: dict[tuple[str, str, str], float],
    sizes: dict[tuple[str, str, str, str], float],
    seconds: dict[tuple[str, str, str], float] | None = None,
    documents: dict[tuple[str, str, str], float] | None = None,
) -> str:
    """A /metrics page with these command counts, byte totals, times to the replies and
    documents named by the writes."""
    lines = ["# TYPE vouchers_store_commands_total counter"]
    lines += [
        f'vouchers_store_commands_total{{service="{s}",command="{c}",collection="{k}"}} {v}'
        for (s, c, k), v in counts.items()
    ]
    lines.append("# TYPE vouchers_store_command_bytes_total counter")
    lines += [
        f'vouchers_store_command_bytes_total{{service="{s}",command="{c}",collection="{k}",'
        f'direction="{d}"}} {v}'
        for (s, c, k, d), v in sizes.items()
    ]
    lines.append("# TYPE vouchers_store_command_seconds_total counter")
    lines += [
        f'vouchers_store_command_seconds_total{{service="{s}",command="{c}",collection="{k}"}} {v}'
        for (s, c, k), v in (seconds or {}).items()
    ]
    lines.append("# TYPE vouchers_store_command_documents_total counter")
    lines += [
        f'vouchers_store_command_documents_total{{service="{s}",command="{c}",collection="{k}"}} {v}'
        for (s, c, k), v in (documents or {}).items()
    ]
    return "\n".join(lines) + "\n"


FIRST = page(
    {("intake", "insert", INTAKE): 10, ("intake", "find", INTAKE): 4},
    {("intake", "insert", INTAKE, "request"): 10_000, ("intake", "find", INTAKE, "reply"): 800},
    {("intake", "insert", INTAKE): 0.5, ("intake", "find", INTAKE): 0.25},
    {("intake", "insert", INTAKE): 10},
)
SECOND = page(
    {("intake", "insert", INTAKE): 30, ("intake", "find", INTAKE): 4, ("notification", "update", CASES): 50},
    {
        ("intake", "insert", INTAKE, "request"): 50_000,
        ("intake", "find", INTAKE, "reply"): 800,
        ("notification", "update", CASES, "request"): 25_000,
        ("notification", "update", CASES, "reply"): 2_500,
    },
    {
        ("intake", "insert", INTAKE): 0.54,
        ("intake", "find", INTAKE): 0.25,
        ("notification", "update", CASES): 0.6,
    },
    {("intake", "insert", INTAKE): 30, ("notification", "update", CASES): 160},
)


def test_round_trips_per_application_are_what_moved_between_two_scrapes_over_n() -> None:
    moved = roundtrips.moved(roundtrips.parse(FIRST), roundtrips.parse(SECOND))
    summary = roundtrips.summary(moved, n=10)
    assert summary["per_service"] == {"intake": 2.0, "notification": 5.0}
    assert summary["total_per_application"] == 7.0
    assert summary["waiting_s"] == {"intake": 0.0, "notification": 0.6}  # 0.04 s rounds to 0.0
    assert summary["documents_per_application"] == {
        "intake": {"insert": 2.0},
        "notification": {"update": 16.0},
    }
    assert summary["commands"] == [  # busiest first; what did not move is left out
        {
            "service": "notification",
            "command": "update",
            "collection": "vouchers_notification.cases",
            "per_application": 5.0,
            "request_bytes": 500,
            "reply_bytes": 50,
            "mean_ms": 12.0,
            "documents_per_application": 16.0,
        },
        {
            "service": "intake",
            "command": "insert",
            "collection": "vouchers_intake.applications",
            "per_application": 2.0,
            "request_bytes": 2000,
            "reply_bytes": 0,
            "mean_ms": 2.0,
            "documents_per_application": 2.0,
        },
    ]


def test_the_store_ceiling_issues_the_services_commands_as_many_and_as_large() -> None:
    commands = [
        {
            "command": "insert",
            "collection": "db.a",
            "per_application": 2.0,
            "request_bytes": 1100,
            "reply_bytes": 60,
        },
        {
            "command": "find",
            "collection": "db.a",
            "per_application": 1.0,
            "request_bytes": 90,
            "reply_bytes": 900,
        },
        {
            "command": "aggregate",
            "collection": "db.a",
            "per_application": 0.5,
            "request_bytes": 90,
            "reply_bytes": 300,
        },
        {
            "command": "update",
            "collection": "db.b",
            "per_application": 0.25,
            "request_bytes": 600,
            "reply_bytes": 60,
        },
        {
            "command": "ping",
            "collection": "admin",
            "per_application": 0.1,
            "request_bytes": 50,
            "reply_bytes": 40,
        },
    ]
    ops, left_out = ops_of(commands)
    assert left_out == ["ping"]
    by_kind = {(o.command, o.collection): o for o in ops}
    assert by_kind["insert", "db.a"].size == 1100 - ENVELOPE_BYTES  # what the command carried
    reads = by_kind["find", "db.a"]  # every read is a find of the reply's size
    assert reads.per_app == 1.5
    assert reads.size == round((900 - ENVELOPE_BYTES + 0.5 * (300 - ENVELOPE_BYTES)) / 1.5)
    n = 1000
    assert sum(by_kind["update", "db.b"].count_for(a) for a in range(n)) == 250
    assert sum(reads.count_for(a) for a in range(n)) == 1500
    one_at_a_time = round_trips(ops, n, batched=False, ferretdb=True)
    assert one_at_a_time == 2000 + 1500 + 250
    # Batched: one insert_many and one bulk_write per batch; reads in one $in where the store
    # can, else each by id; FerretDB's updates a bounded number at a time.
    batches = n // BATCH
    assert round_trips(ops, n, batched=True, ferretdb=False) == 3 * batches
    assert round_trips(ops, n, batched=True, ferretdb=True) == 2 * batches + 1500
    many = [Op("update", "db.d", 3.0, 100)]  # 300 a batch
    assert round_trips(many, n, batched=True, ferretdb=False) == batches
    assert round_trips(many, n, batched=True, ferretdb=True) == batches * -(-300 // FERRETDB_UPDATES)


def test_fractions_of_a_command_per_application_spread_evenly() -> None:
    op = Op("update", "db.c", 1 / 3, 100)
    counts = [op.count_for(a) for a in range(9)]
    assert counts == [0, 0, 1, 0, 0, 1, 0, 0, 1]


BATCHES_BEFORE = """\
# TYPE vouchers_batch_records histogram
vouchers_batch_records_bucket{group="notification-cases",le="+Inf"} 10.0
vouchers_batch_records_count{group="notification-cases"} 10.0
vouchers_batch_records_sum{group="notification-cases"} 400.0
vouchers_batch_records_count{group="intake-status"} 4.0
vouchers_batch_records_sum{group="intake-status"} 40.0
"""
BATCHES_AFTER = """\
# TYPE vouchers_batch_records histogram
vouchers_batch_records_bucket{group="notification-cases",le="+Inf"} 30.0
vouchers_batch_records_count{group="notification-cases"} 30.0
vouchers_batch_records_sum{group="notification-cases"} 2400.0
vouchers_batch_records_count{group="intake-status"} 4.0
vouchers_batch_records_sum{group="intake-status"} 40.0
vouchers_batch_records_count{group="eligibility-coi"} 5.0
vouchers_batch_records_sum{group="eligibility-coi"} 60.0
"""


def test_records_per_batch_are_what_moved_between_two_scrapes_by_group() -> None:
    summary = batches.summary(batches.parse(BATCHES_BEFORE), batches.parse(BATCHES_AFTER))
    assert summary == {  # busiest first; a group that took no batch is left out
        "notification-cases": {"batches": 20.0, "records_per_batch": 100.0},
        "eligibility-coi": {"batches": 5.0, "records_per_batch": 12.0},
    }
