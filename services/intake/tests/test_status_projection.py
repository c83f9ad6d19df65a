"""The read model folds events in any order, and each event only once."""

from datetime import datetime, timedelta

from intake.domain.status import StatusView, apply_event
from vouchers_shared import topics

T0 = datetime.fromisoformat("2026-05-20T10:00:00+08:00")


def submitted(app_id: str = "A1") -> dict[str, object]:
    return {
        "application_id": app_id,
        "applicant_uscc": "91440305MA0000001W",
        "submitted_at": T0.isoformat(),
        "application": {"program_year": 2026, "applicant": {"name": "甲"}, "project": {"title": "乙"}},
    }


def verdict(outcome: str) -> dict[str, object]:
    return {
        "application_id": "A1",
        "applicant_uscc": "91440305MA0000001W",
        "outcome": outcome,
        "findings": [{"rule": "AMT-RATE", "result": "pass"}],
        "voucher": None,
    }


def test_a_fresh_submission_reads_as_received() -> None:
    view = apply_event(StatusView(application_id="A1"), "e1", topics.APPLICATION_SUBMITTED, T0, submitted())
    assert view.status == "received"
    assert [step["event"] for step in view.timeline] == ["received"]


def test_a_repeated_event_changes_nothing() -> None:
    view = apply_event(StatusView(application_id="A1"), "e1", topics.APPLICATION_SUBMITTED, T0, submitted())
    again = apply_event(view, "e1", topics.APPLICATION_SUBMITTED, T0, submitted())
    assert again is view
    assert len(again.timeline) == 1


def test_a_verdict_before_the_submission_still_lands() -> None:
    view = apply_event(
        StatusView(application_id="A1"),
        "v1",
        topics.ELIGIBILITY_ASSESSED,
        T0 + timedelta(seconds=2),
        verdict("pass"),
    )
    view = apply_event(view, "e1", topics.APPLICATION_SUBMITTED, T0, submitted())
    assert view.status == "checking"
    assert view.checks["eligibility"].outcome == "pass"
    assert [step["event"] for step in view.timeline] == ["received", "eligibility_assessed"]


def test_an_older_verdict_arriving_late_does_not_replace_a_newer_one() -> None:
    view = apply_event(
        StatusView(application_id="A1"),
        "v2",
        topics.VERIFICATION_COMPLETED,
        T0 + timedelta(seconds=5),
        verdict("verified"),
    )
    view = apply_event(
        view, "v1", topics.VERIFICATION_COMPLETED, T0 + timedelta(seconds=1), verdict("pending")
    )
    assert view.checks["verification"].outcome == "verified"


def test_the_latest_lifecycle_event_decides_the_status_whatever_the_arrival_order() -> None:
    notice = {
        "application_id": "A1",
        "applicant_uscc": "x",
        "notice_id": "N1",
        "starts_on": "2026-06-10",
        "ends_on": "2026-06-16",
    }
    decided = {"application_id": "A1", "applicant_uscc": "x", "status": "awaiting_notice"}
    view = apply_event(
        StatusView(application_id="A1"), "n1", topics.NOTICE_PUBLISHED, T0 + timedelta(days=2), notice
    )
    view = apply_event(view, "d1", topics.CASE_DECIDED, T0 + timedelta(days=1), decided)
    assert view.status == "in_public_notice"
    assert view.notice == {"notice_id": "N1", "starts_on": "2026-06-10", "ends_on": "2026-06-16"}


def test_a_dismissed_objection_returns_the_application_to_the_notice() -> None:
    base = {"application_id": "A1", "applicant_uscc": "x", "notice_id": "N1"}
    view = apply_event(
        StatusView(application_id="A1"), "o1", topics.OBJECTION_RAISED, T0, {**base, "objection_id": "O1"}
    )
    assert view.status == "objection_raised"
    view = apply_event(
        view,
        "o2",
        topics.OBJECTION_RESOLVED,
        T0 + timedelta(hours=1),
        {**base, "objection_id": "O1", "upheld": False},
    )
    assert view.status == "in_public_notice"


def test_folding_an_event_leaves_the_view_it_started_from_as_it_was() -> None:
    """The read model keeps views and folds a batch's events onto them: a fold that changed the
    view it was given would change a kept view that no write stored."""
    decided = {"application_id": "A1", "applicant_uscc": "x", "status": "awaiting_notice"}
    notice = {**decided, "notice_id": "N1", "starts_on": "2026-06-10", "ends_on": "2026-06-16"}
    steps = [
        ("e1", topics.APPLICATION_SUBMITTED, T0, submitted()),
        ("v1", topics.ELIGIBILITY_ASSESSED, T0 + timedelta(seconds=1), verdict("pass")),
        ("v2", topics.ELIGIBILITY_ASSESSED, T0 + timedelta(seconds=2), verdict("review")),
        ("d1", topics.CASE_DECIDED, T0 + timedelta(days=1), decided),
        ("n1", topics.NOTICE_PUBLISHED, T0 + timedelta(days=2), notice),
    ]
    view = StatusView(application_id="A1")
    for event_id, event_type, at, body in steps:
        before = view.model_dump()
        after = apply_event(view, event_id, event_type, at, body)
        assert view.model_dump() == before
        assert after.model_dump() != before
        view = after
    assert view.checks["eligibility"].outcome == "review"
    assert view.timeline[0]["event"] == "received"
    assert len(view.applied_events) == len(steps)
