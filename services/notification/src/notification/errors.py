"""The notification service's errors: domain refusals versus transient channel failures."""

from __future__ import annotations

from collections.abc import Iterable

from vouchers_shared.errors import DomainRuleError, TransientError


class CaseError(DomainRuleError):
    """A request about a case that the domain refuses; retrying will not help."""


class IllegalTransitionError(CaseError):
    """The case's status does not allow the requested step."""

    def __init__(self, application_id: str, status: str, action: str, allowed: Iterable[str]):
        self.application_id = application_id
        self.status = status
        self.action = action
        self.allowed_from = tuple(sorted(allowed))
        super().__init__(
            f"application {application_id}: cannot {action} while {status}; "
            f"allowed only from {', '.join(self.allowed_from)}"
        )


class UnknownObjectionError(CaseError):
    """The objection is not open on this application."""

    def __init__(self, application_id: str, objection_id: str) -> None:
        self.application_id = application_id
        self.objection_id = objection_id
        super().__init__(f"application {application_id}: no open objection {objection_id}")


class ReviewSettlingError(CaseError):
    """A review cannot be passed now: a check has failed, or the voucher is not settled yet."""

    def __init__(self, application_id: str, why: str) -> None:
        self.application_id = application_id
        super().__init__(f"application {application_id}: cannot pass review: {why}")


class ObjectionLimitError(CaseError):
    """The application already holds as many open objections as it may."""

    code = "OBJECTION_LIMIT_REACHED"

    def __init__(self, application_id: str, most_open: int) -> None:
        self.application_id = application_id
        self.most_open = most_open
        super().__init__(
            f"申请 {application_id} 已有 {most_open} 条异议待处理，已达上限，待处理后方可再提出异议 "
            f"(application {application_id} already holds {most_open} open objections, the most it may; "
            "more are accepted once some are resolved)"
        )


class OutsideNoticePeriodError(CaseError):
    """The step needs a date inside (objection) or after (approval) the notice period."""


class ChannelError(TransientError):
    """A letter could not be delivered (mail server or webhook away, refused or slow): retry."""
