"""Every service's /metrics during a real run, parsed by prometheus_client: the domain metrics
are there and move as applications flow through the suite.

The module scrapes the four services, files two approvable applications and one that fails
AMT-MIN-SPEND (each with its audit report registered) and puts a record without CloudEvents
headers on a topic, waits until all of it is decided, then scrapes again and compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from vouchers_shared import topics

from tests.observability.flow import (
    below_threshold,
    file_and_wait,
    new_applicant,
    publish_poison,
    register_audit_reports,
)
from tests.observability.scraping import Families, samples, scrape, value
from tests.support.filing import application
from tests.support.suite import Suite, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(600)]
SERVICES = ("intake", "eligibility", "verification", "notification")
PARTITIONS = 12
# Every service exports these (shared middleware and processor); the domain ones are where set.
COMMON = (
    "faststream_received_messages",
    "faststream_received_processed_messages_duration_seconds",
    "faststream_published_messages",
    "vouchers_messages_handled",
    "vouchers_handler_seconds",
    "vouchers_consumer_lag",
    "vouchers_consumer_assigned_partitions",
    "vouchers_dlq_messages",
    "vouchers_http_request_seconds",
)
GROUPS = {
    "intake": {"intake-status": 6},
    "eligibility": {"eligibility-coi": 1, "eligibility-rules": 2, "eligibility-refdata": 5},
    "verification": {"verification": 1, "verification-refdata": 1},
    "notification": {"notification-cases": 4},
}


def scrape_all(suite: Suite) -> dict[str, Families]:
    return {name: scrape(suite.urls[name]) for name in SERVICES}


@dataclass
class Flow:
    before: dict[str, Families]
    views: list[dict[str, Any]]
    poison_topic: str


@pytest.fixture(scope="module")
def flow(suite: Suite) -> Flow:
    approvable = [new_applicant(), new_applicant()]
    failing = new_applicant()
    register_audit_reports(suite, [*approvable, failing])
    before = scrape_all(suite)
    views = [file_and_wait(suite, application(uscc)) for uscc in approvable]
    views.append(file_and_wait(suite, below_threshold(failing)))
    publish_poison(suite, topics.VERIFICATION)
    return Flow(before, views, topics.VERIFICATION)


def moved(suite: Suite, what: str, probe: Any, timeout: float = 60) -> dict[str, Families]:
    """Scrape until `probe(after)` holds; the scrape it held on."""

    def check() -> dict[str, Families] | None:
        after = scrape_all(suite)
        return after if probe(after) else None

    found: dict[str, Families] = wait_for(what, check, timeout=timeout, every=1.0)
    return found


Wanted = tuple[str, str, float, dict[str, str]]  # service, sample, at least this much more, labels


def grown(
    suite: Suite, before: dict[str, Families], wanted: list[Wanted], timeout: float = 60
) -> dict[str, Families]:
    """Scrape until every sample in `wanted` grew by its amount; names the ones that did not."""
    short: list[str] = []

    def probe(after: dict[str, Families]) -> bool:
        short[:] = [
            f"{svc} {name}{labels}: {value(before[svc], name, **labels)} -> "
            f"{value(after[svc], name, **labels)}, wanted +{by}"
            for svc, name, by, labels in wanted
            if value(after[svc], name, **labels) < value(before[svc], name, **labels) + by
        ]
        return not short

    try:
        return moved(suite, "metrics to move", probe, timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still short: {short}") from None


def test_every_service_exports_the_shared_and_consumer_metrics(suite: Suite) -> None:
    for name, families in scrape_all(suite).items():
        missing = [m for m in COMMON if m not in families]
        assert not missing, f"{name} lacks {missing}"


def test_the_flow_reaches_the_outcomes_it_was_built_for(flow: Flow) -> None:
    assert [v["status"] for v in flow.views] == ["awaiting_notice", "awaiting_notice", "rejected"]


def test_filing_moves_the_intake_latency_histogram_and_the_status_gauge(suite: Suite, flow: Flow) -> None:
    posted = {"method": "POST", "route": "/v1/applications", "status": "202"}
    after = grown(
        suite,
        flow.before,
        [
            ("intake", "vouchers_http_request_seconds_count", 3, posted),
            ("intake", "vouchers_applications", 2, {"status": "awaiting_notice"}),
            ("intake", "vouchers_applications", 1, {"status": "rejected"}),
        ],
    )
    buckets = samples(after["intake"], "vouchers_http_request_seconds_bucket")
    routes = {labels["route"] for labels, _ in buckets}
    assert routes >= {"/v1/applications", "/v1/applications/{application_id}"}


def test_rule_outcomes_and_verdicts_move_with_each_application(suite: Suite, flow: Flow) -> None:
    verdicts, rules = "vouchers_verdicts_total", "vouchers_rule_outcomes_total"
    grown(
        suite,
        flow.before,
        [
            ("eligibility", verdicts, 3, {"check": "conflict_of_interest", "outcome": "clear"}),
            ("eligibility", verdicts, 2, {"check": "eligibility", "outcome": "pass"}),
            ("eligibility", verdicts, 1, {"check": "eligibility", "outcome": "fail"}),
            ("eligibility", rules, 1, {"rule": "AMT-MIN-SPEND", "result": "fail"}),
            ("eligibility", rules, 2, {"rule": "AMT-MIN-SPEND", "result": "pass"}),
            ("verification", verdicts, 3, {"check": "verification", "outcome": "verified"}),
            ("notification", verdicts, 2, {"check": "case", "outcome": "awaiting_notice"}),
            ("notification", verdicts, 1, {"check": "case", "outcome": "rejected"}),
        ],
    )


def test_reserved_cny_moves_by_the_vouchers_of_the_approvable_applications(suite: Suite, flow: Flow) -> None:
    vouchers = sum(Decimal(v["voucher"]["total_cny"]) for v in flow.views if v.get("voucher"))
    assert vouchers == Decimal("1200000.00")
    grown(suite, flow.before, [("eligibility", "vouchers_reserved_cny_total", float(vouchers), {})])


def test_a_rejection_sends_a_letter_and_counts_it(suite: Suite, flow: Flow) -> None:
    grown(
        suite,
        flow.before,
        [("notification", "vouchers_letters_total", 1, {"channel": "smtp", "result": "sent"})],
    )


def test_a_record_that_cannot_be_processed_counts_as_a_dead_letter_where_it_is_consumed(
    suite: Suite, flow: Flow
) -> None:
    topic = {"topic": flow.poison_topic}
    grown(
        suite,
        flow.before,
        [  # intake-status and notification-cases read that topic
            (service, name, 1, {**topic, **extra})
            for service in ("intake", "notification")
            for name, extra in (
                ("vouchers_dlq_messages_total", {}),
                ("vouchers_messages_handled_total", {"result": "parked"}),
            )
        ],
    )


def test_handled_messages_and_handler_latency_move_in_every_consumer(suite: Suite, flow: Flow) -> None:
    grown(
        suite,
        flow.before,
        [
            (service, name, 1, labels)
            for service in SERVICES
            for name, labels in (
                ("vouchers_messages_handled_total", {"result": "ok"}),
                ("vouchers_handler_seconds_count", {}),
                ("faststream_received_processed_messages_total", {}),
            )
        ],
    )


def test_cases_past_working_day_marks_and_outbox_backlog_are_reported(suite: Suite, flow: Flow) -> None:
    after = scrape_all(suite)
    marks = samples(after["notification"], "vouchers_open_cases_past_mark")
    assert {labels["mark"] for labels, _ in marks} == {"50", "60"}
    assert samples(after["intake"], "vouchers_outbox_backlog") == [({"service": "intake"}, 0.0)]


def test_consumer_lag_is_reported_for_every_assigned_partition_and_drains(suite: Suite, flow: Flow) -> None:
    def drained(after: dict[str, Families]) -> bool:
        return all(v == 0 for f in after.values() for _, v in samples(f, "vouchers_consumer_lag"))

    after = moved(suite, "every consumer caught up", drained, timeout=90)
    for service, groups in GROUPS.items():
        assigned = samples(after[service], "vouchers_consumer_assigned_partitions")
        per_group: dict[str, list[float]] = {}
        for labels, count in assigned:
            per_group.setdefault(labels["group"], []).append(count)
        assert {g: len(c) for g, c in per_group.items()} == groups, service
        assert all(c == PARTITIONS for counts in per_group.values() for c in counts), assigned
        lag = samples(after[service], "vouchers_consumer_lag")
        assert len(lag) == PARTITIONS * sum(groups.values()), service
        assert {labels["partition"] for labels, _ in lag} == {str(p) for p in range(PARTITIONS)}


def test_no_label_carries_an_applicant_id_or_an_application_id(suite: Suite, flow: Flow) -> None:
    secrets = {v["applicant_uscc"] for v in flow.views} | {v["application_id"] for v in flow.views}
    for service, families in scrape_all(suite).items():
        for family in families.values():
            for sample in family.samples:
                leaked = [s for s in secrets if any(s in str(x) for x in sample.labels.values())]
                assert not leaked, f"{service} {sample.name} {sample.labels}"


FOLDING = {
    "intake": ("intake-status",),
    "eligibility": ("eligibility-coi", "eligibility-rules"),
    "verification": ("verification",),
    "notification": ("notification-cases",),
}


def test_every_folding_consumer_takes_the_flow_in_whole_batches(suite: Suite, flow: Flow) -> None:
    folded: list[Wanted] = [
        (service, "vouchers_batches_folded_total", 1, {"group": group, "result": "folded"})
        for service, groups in FOLDING.items()
        for group in groups
    ]
    grown(suite, flow.before, folded)
