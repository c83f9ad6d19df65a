"""Topic names and event types: the message contract between services."""

from __future__ import annotations

from typing import Final

APPLICATIONS: Final = "vouchers.applications.v1"
COI: Final = "vouchers.coi.v2"
ELIGIBILITY: Final = "vouchers.eligibility.v2"
VERIFICATION: Final = "vouchers.verification.v2"
DECISIONS: Final = "vouchers.decisions.v2"
NOTICES: Final = "vouchers.notices.v1"

CARRIED_OVER: Final = {
    "vouchers.coi.v1": COI,
    "vouchers.eligibility.v1": ELIGIBILITY,
    "vouchers.verification.v1": VERIFICATION,
    "vouchers.decisions.v1": DECISIONS,
}
"""Topics of an earlier version and the topic of their stream now (findings carried their texts
in v1): what an upgrade copies over (`vouchers carry-over`) before the services start again."""

REFDATA_KINDS: Final = (
    "providers",
    "holdings",
    "officers",
    "restrictions",
    "prior_year_unredeemed",
    "audit_reports",
)


def refdata_topic(kind: str) -> str:
    """The compacted topic holding the latest snapshot of one reference-data kind."""
    return f"vouchers.refdata.{kind}.v1"


DLQ_SUFFIX: Final = ".dlq"


def dlq_topic(topic: str) -> str:
    """Where messages that can never be processed from `topic` are parked."""
    return f"{topic}{DLQ_SUFFIX}"


def is_dlq_topic(topic: str) -> bool:
    return topic.endswith(DLQ_SUFFIX)


EVENT_TOPICS: Final = (APPLICATIONS, COI, ELIGIBILITY, VERIFICATION, DECISIONS, NOTICES)
REFDATA_TOPICS: Final = tuple(refdata_topic(k) for k in REFDATA_KINDS)
ALL_TOPICS: Final = EVENT_TOPICS + REFDATA_TOPICS + tuple(dlq_topic(t) for t in EVENT_TOPICS + REFDATA_TOPICS)

# CloudEvents types, in the past tense.
APPLICATION_SUBMITTED: Final = "application.submitted"
COI_ASSESSED: Final = "coi.assessed"
ELIGIBILITY_ASSESSED: Final = "eligibility.assessed"
VERIFICATION_COMPLETED: Final = "verification.completed"
CASE_DECIDED: Final = "case.decided"
REVIEW_PASSED: Final = "review.passed"
VOUCHER_APPROVED: Final = "voucher.approved"
NOTICE_PUBLISHED: Final = "notice.published"
OBJECTION_RAISED: Final = "objection.raised"
OBJECTION_RESOLVED: Final = "objection.resolved"
REFDATA_LOADED: Final = "refdata.loaded"
