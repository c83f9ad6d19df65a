"""The notification service's errors: domain refusals versus transient channel failures."""

from __future__ import annotations

from collections.abc import Iterable

from vouchers_shared.errors import DomainRuleError, TransientError


class CaseError(DomainRuleError):
    """A request about a case that the domain refuses; retrying will not help."""

    code = "CASE_REFUSED"


ACTIONS_ZH = {
    "pass review": "通过复核",
    "reject on review": "复核驳回",
    "open a public notice": "列入公示",
    "raise an objection": "提出异议",
    "dismiss an objection": "驳回异议",
    "uphold an objection": "认定异议成立",
    "approve": "审定",
    "apply a decision": "作出决定",
}


class IllegalTransitionError(CaseError):
    """The case's status does not allow the requested step."""

    code = "ILLEGAL_TRANSITION"
    title_zh, title_en = "申请当前状态下不能进行此操作", "Not allowed in the application's status"

    def __init__(self, application_id: str, status: str, action: str, allowed: Iterable[str]):
        self.application_id = application_id
        self.status = status
        self.action = action
        self.allowed_from = tuple(sorted(allowed))
        super().__init__(
            f"application {application_id}: cannot {action} while {status}; "
            f"allowed only from {', '.join(self.allowed_from)}"
        )
        doing, allowed_from = ACTIONS_ZH.get(action, action), ", ".join(self.allowed_from)
        self.message_zh = (
            f"申请 {application_id} 当前状态为 {status}，不能{doing}；仅在 {allowed_from} 状态下可以"
        )


class UnknownObjectionError(CaseError):
    """The objection is not open on this application."""

    code = "OBJECTION_NOT_OPEN"
    title_zh, title_en = "异议不在处理中", "Objection not open"

    def __init__(self, application_id: str, objection_id: str) -> None:
        self.application_id = application_id
        self.objection_id = objection_id
        super().__init__(f"application {application_id}: no open objection {objection_id}")
        self.message_zh = f"申请 {application_id} 没有待处理的异议 {objection_id}"


class NoOpenObjectionError(CaseError):
    """The application holds no open objection (to dismiss)."""

    code = "NO_OPEN_OBJECTION"
    title_zh, title_en = "没有待处理的异议", "No open objection"

    def __init__(self, application_id: str) -> None:
        self.application_id = application_id
        super().__init__(f"application {application_id} has no open objection")
        self.message_zh = f"申请 {application_id} 没有待处理的异议"


class ReviewSettlingError(CaseError):
    """A review cannot be passed now: a check has failed, or the voucher is not settled yet."""

    code = "REVIEW_CANNOT_PASS"
    title_zh, title_en = "暂不能通过复核", "The review cannot be passed now"

    def __init__(self, application_id: str, why: str) -> None:
        self.application_id = application_id
        super().__init__(f"application {application_id}: cannot pass review: {why}")
        self.message_zh = f"申请 {application_id} 暂不能通过复核（{why}）"


class ObjectionLimitError(CaseError):
    """The application already holds as many open objections as it may."""

    code = "OBJECTION_LIMIT_REACHED"
    title_zh, title_en = "异议数已达上限", "Too many open objections"

    def __init__(self, application_id: str, most_open: int) -> None:
        self.application_id = application_id
        self.most_open = most_open
        super().__init__(
            f"application {application_id} already holds {most_open} open objections, the "
            "most it may; more are accepted once some are resolved"
        )
        self.message_zh = (
            f"申请 {application_id} 已有 {most_open} 条异议待处理，已达上限，待处理后方可再提出异议"
        )


class OutsideNoticePeriodError(CaseError):
    """The step needs a date inside (objection) or after (approval) the notice period."""

    code = "OUTSIDE_NOTICE_PERIOD"
    title_zh, title_en = "不在公示期内", "Outside the notice period"


class ChannelError(TransientError):
    """A letter could not be delivered (mail server or webhook away, refused or slow): retry."""
