"""Filing an application: window check, idempotency, one document with its outbox, publish
(after the answer, when the service lets it: see `vouchers_shared.after_reply`)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from vouchers_shared import topics
from vouchers_shared.after_reply import AfterReply
from vouchers_shared.application import Application
from vouchers_shared.auth import Principal
from vouchers_shared.clock import Clock
from vouchers_shared.errors import DomainRuleError
from vouchers_shared.events import ApplicationSubmitted
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.publisher import Outgoing, Publisher
from vouchers_shared.plausibility import Implausible, implausible
from vouchers_shared.program import ProgramParams
from vouchers_shared.store import Document

from intake.adapters.mongo_store import IntakeStore

SOURCE = "/vouchers/intake"
log = structlog.get_logger()


class SubmissionRefused(DomainRuleError):
    """A valid body that may not be filed now: a problem with `code`, and in `errors` the
    field(s) at fault, each with its own code."""

    def __init__(
        self, status: int, code: str, message: str, message_zh: str, errors: Sequence[Mapping[str, str]]
    ) -> None:
        super().__init__(message)
        self.http_status, self.code, self.message_zh, self.errors = status, code, message_zh, errors

    @classmethod
    def on_field(cls, status: int, code: str, field: str, message: str, message_zh: str) -> SubmissionRefused:
        """Refused for one field (`""`: the body as a whole), the refusal's code on it too."""
        return cls(status, code, message, message_zh, [{"field": field, "code": code, "message": message}])

    @classmethod
    def implausible(cls, problems: Sequence[Implausible]) -> SubmissionRefused:
        """A 422 listing every claim that cannot be true or cannot be computed with."""
        n = len(problems)
        return cls(
            422,
            "VALIDATION_FAILED",
            f"{n} claim{'' if n == 1 else 's'} of the application cannot be true when filed "
            "or cannot be computed with; see errors",
            f"申报内容有 {n} 处在申报时不可能成立或无法据以计算，详见 errors",
            [problem.as_error() for problem in problems],
        )


@dataclass(frozen=True)
class Filed:
    application_id: str
    status: str = "received"


def body_hash(application: Application) -> str:
    """Same meaning, same hash: the canonical JSON of the validated application."""
    return hashlib.sha256(application.model_dump_json().encode()).hexdigest()


def _same_body(record: Document, digest: str) -> None:
    if record["body_hash"] != digest:
        raise SubmissionRefused.on_field(
            409,
            "IDEMPOTENCY_KEY_REUSED",
            "Idempotency-Key",
            "this Idempotency-Key was used with another body",
            "此 Idempotency-Key 已用于另一份申报内容",
        )


def new_application_id(program_year: int) -> str:
    return f"SZV{program_year}-{uuid.uuid4().hex[:16].upper()}"


class PublishedOutboxes:
    """Filings whose event is on Kafka, their outbox markers deleted together by `flush` (run
    every `FLUSH_EVERY_S`) instead of one delete per request. A marker a stop leaves behind only
    makes the relay publish the event again once it is due, and every consumer drops a repeated
    event by its id."""

    FLUSH_EVERY_S = 0.1

    def __init__(self, store: IntakeStore) -> None:
        self._store = store
        self._ids: list[str] = []

    def add(self, application_id: str) -> None:
        self._ids.append(application_id)

    async def flush(self) -> None:
        ids, self._ids = self._ids, []
        if not ids:
            return
        try:
            await self._store.mark_all_published(ids)
        except BaseException:
            self._ids[:0] = ids  # tried again at the next flush
            raise


class Submissions:
    def __init__(
        self,
        store: IntakeStore,
        publisher: Publisher,
        clock: Clock,
        params: ProgramParams,
        publish_grace: timedelta = timedelta(seconds=5),
        published: PublishedOutboxes | None = None,
        after_reply: AfterReply | None = None,
    ) -> None:
        """With `published`, a published outbox's marker goes at its next flush; else at once.
        With `after_reply`, a filing is answered once it is stored, and its event published
        after the answer (in the request itself when as many publishes are under way)."""
        self._store, self._publisher, self._clock, self._params = store, publisher, clock, params
        self._grace, self._published, self._after_reply = publish_grace, published, after_reply

    def check_may_file(self, application: Application, who: Principal) -> None:
        """Refuses another applicant's filing and another program year's."""
        if who.uscc != application.applicant.uscc:
            raise SubmissionRefused.on_field(
                403,
                "NOT_YOUR_APPLICANT",
                "applicant.uscc",
                "a submitter files only for its own applicant",
                "申报账号只能为其所属单位申报",
            )
        if application.program_year != self._params.program_year:
            year = self._params.program_year
            raise SubmissionRefused.on_field(
                422,
                "PROGRAM_YEAR_MISMATCH",
                "program_year",
                f"this suite accepts program year {year}",
                f"本系统受理 {year} 年度的申报",
            )

    def check_window(self) -> datetime:
        """The instant of filing, or FILING_WINDOW_CLOSED outside the window (七(二))."""
        now = self._clock.now()
        if not self._params.filing_window_contains(now):
            opens = self._params.filing_opens_at.isoformat()
            closes = self._params.filing_closes_at.isoformat()
            raise SubmissionRefused.on_field(
                422,
                "FILING_WINDOW_CLOSED",
                "",
                f"filing is open from {opens} to {closes} (七(二)); it is now {now.isoformat()}",
                f"申报受理时间为 {opens} 至 {closes}（七(二)），现在是 {now.isoformat()}",
            )
        return now

    @staticmethod
    def check_plausible(application: Application, now: datetime) -> None:
        """Refuses dates that cannot be true at `now` and figures no service can compute with."""
        problems = implausible(application, now)
        if problems:
            raise SubmissionRefused.implausible(problems)

    async def file(self, application: Application, who: Principal, key: str | None) -> Filed:
        self.check_may_file(application, who)
        digest = body_hash(application)
        scope = None if key is None else f"{who.uscc}:{key}"
        try:
            now = self.check_window()
            self.check_plausible(application, now)
        except SubmissionRefused:
            earlier = None if scope is None else await self._earlier_filing(scope, digest)
            if earlier is not None:
                return earlier  # the first answer, even once the window has closed
            raise
        application_id = new_application_id(application.program_year)
        if scope is not None:
            record = await self._store.claim_key(scope, digest, application_id)  # one insert
            _same_body(record, digest)
            if record["application_id"] != application_id:  # the key filed before, or a twin is
                application_id = record["application_id"]
                if await self._store.application(application_id) is not None:
                    return Filed(application_id)  # the first answer
        event = submitted_event(application, application_id, now)
        if await self._store.insert_application(self._document(application_id, application, event, now)):
            outbox = [event.to_document()]

            async def publish() -> None:
                await self._publish_or_leave(application_id, outbox)

            if self._after_reply is None or not self._after_reply.take(f"publish {application_id}", publish):
                await publish()
        return Filed(application_id)

    async def _publish_or_leave(self, application_id: str, outbox: list[dict[str, object]]) -> None:
        try:
            await self.publish_pending(application_id, outbox)
        except Exception as exc:  # stored is filed: the relay publishes it once it is due
            log.warning("publish_left_to_relay", application_id=application_id, error=repr(exc))

    async def _earlier_filing(self, scope: str, digest: str) -> Filed | None:
        """What a key already filed; None if it filed nothing yet (e.g. a crash before the insert)."""
        record = await self._store.key_record(scope)
        if record is None:
            return None
        _same_body(record, digest)
        if await self._store.application(record["application_id"]) is None:
            return None
        return Filed(record["application_id"])

    def _document(
        self, application_id: str, application: Application, event: Outgoing, now: datetime
    ) -> Document:
        return {
            "_id": application_id,
            "applicant_uscc": application.applicant.uscc,
            "program_year": application.program_year,
            "submitted_at": now,
            "application": application.model_dump(mode="json"),
            "outbox": [event.to_document()],
            # Wall-clock: the request publishes before then, the relay after.
            "outbox_due_at": datetime.now(UTC) + self._grace,
        }

    async def publish_pending(
        self, application_id: str, outbox: list[dict[str, object]], *, relayed: bool = False
    ) -> None:
        """Publish the outbox, then let its marker go: with the next flush of the published
        outboxes, or at once when `relayed` (the relay releases its claim right after, and a
        marker still there could be claimed and published again)."""
        for item in outbox:
            headers = dict(item["headers"])  # type: ignore[call-overload]
            await self._publisher.publish_raw(
                str(item["topic"]), str(item["key"]), str(item["body"]).encode(), headers
            )
        if self._published is None or relayed:
            await self._store.mark_published(application_id)
        else:
            self._published.add(application_id)
        log.info("application_published", application_id=application_id)


def submitted_event(application: Application, application_id: str, now: datetime) -> Outgoing:
    payload = ApplicationSubmitted(
        application_id=application_id,
        applicant_uscc=application.applicant.uscc,
        submitted_at=now,
        application=application,
    )
    return Outgoing(
        topic=topics.APPLICATIONS,
        key=application.applicant.uscc,
        envelope=Envelope.new(
            topics.APPLICATION_SUBMITTED, SOURCE, application_id, id_=f"{application_id}/submitted", time=now
        ),
        payload=payload,
        correlation_id=application_id,
    )
