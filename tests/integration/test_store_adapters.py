"""Each service's own store adapter writes a document to the real store and reads it back.

The adapters use their service's database; every document here has ids of its own (a fresh
application id and USCC per test) and is deleted afterwards, so a suite running in the same
session is not disturbed. Reference data goes to a database of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eligibility.adapters.mongo_store import ConcurrentUpdate, EligibilityStore
from eligibility.domain.ledger import Ledger
from intake.adapters.mongo_store import IntakeStore
from intake.domain.status import StatusView, apply_event
from intake.refdata_loader import build_snapshot
from notification.adapters.mongo_store import NotificationStore, StoredCase
from notification.domain.case import StatusChange, open_case
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from verification.adapters.mongo_store import VerificationStore
from verification.domain.model import ConsentRecord
from vouchers_shared import topics
from vouchers_shared.errors import TransientError
from vouchers_shared.refdata_store import RefdataStore
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import Document, connect, opened

from tests.support.infra import Infra
from tests.support.samples import application_for, lone_serial, make_uscc

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# BSON dates keep milliseconds: instants stored as dates are given whole milliseconds.
AT = datetime(2026, 5, 20, 10, 0, 0, 250000, tzinfo=SHANGHAI)
CAP = Decimal("10000000.00")

Cleanup = Callable[[AsyncCollection[Document], dict[str, Any]], None]


@pytest.fixture
async def client(infra: Infra) -> AsyncIterator[AsyncMongoClient[Document]]:
    """A client made the way the services make theirs (timezone-aware)."""
    mongo = connect(CommonSettings(mongodb_url=infra.mongodb_url), "store-adapter-test")
    try:
        yield mongo
    finally:
        await mongo.close()


@pytest.fixture
async def cleanup() -> AsyncIterator[Cleanup]:
    """Deletes, after the test, the documents registered with it."""
    registered: list[tuple[AsyncCollection[Document], dict[str, Any]]] = []
    yield lambda collection, query: registered.append((collection, query))
    for collection, query in registered:
        await collection.delete_many(query)


@pytest.fixture
def ids() -> tuple[str, str]:
    """A fresh application id and applicant USCC."""
    return f"SZV2026-{uuid.uuid4().hex[:16].upper()}", make_uscc(lone_serial())


# --- intake ----------------------------------------------------------------------------------


async def test_intake_inserts_an_application_once(
    client: AsyncMongoClient[Document], ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    database = f"test_intake_store_{uuid.uuid4().hex[:8]}"  # out of reach of the running relay
    store = IntakeStore(client, database)
    await store.ensure_indexes()
    due = AT + timedelta(seconds=5)
    document = {
        "_id": application_id,
        "applicant_uscc": uscc,
        "program_year": 2026,
        "submitted_at": AT,
        "application": application_for(uscc),
        "outbox": [{"topic": topics.APPLICATIONS, "key": uscc, "body": "{}", "headers": {}}],
        "outbox_due_at": due,
    }
    try:
        first = await store.insert_application(document)
        again = await store.insert_application({**document, "program_year": 2027})

        assert (first, again) == (True, False)
        assert await store.application(application_id) == document
        # The relay's marker: one, due when the application's outbox is.
        assert [m async for m in store.outbox_markers.find()] == [{"_id": application_id, "due_at": due}]
        assert await store.due_outboxes(due) == [application_id]
        assert await store.due_outboxes(due - timedelta(milliseconds=1)) == []
    finally:
        await client.drop_database(database)


async def test_intake_idempotency_key_is_claimed_once(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    store = IntakeStore(client)
    scope = f"{uscc}:{uuid.uuid4()}"
    cleanup(store.idempotency, {"_id": scope})

    first = await store.claim_key(scope, "hash-1", application_id)
    second = await store.claim_key(scope, "hash-2", "SZV2026-ANOTHER")

    expected = {"_id": scope, "body_hash": "hash-1", "application_id": application_id}
    assert first == expected
    assert second == expected
    assert await store.idempotency.count_documents({"_id": scope}) == 1


async def test_intake_requests_at_the_same_moment_each_learn_their_own_outcome(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    """Requests filed together share the store's writes (one bulk insert), and each still gets
    its own answer: twins racing for one key both get the record of the one that won."""
    _, uscc = ids
    store = IntakeStore(client)
    scopes = [f"{uscc}:{uuid.uuid4()}" for _ in range(12)]
    for scope in scopes:
        cleanup(store.idempotency, {"_id": scope})

    records = await asyncio.gather(
        *(store.claim_key(scope, f"hash-{scope}", f"{scope}/{twin}") for scope in scopes for twin in (1, 2))
    )

    for n, scope in enumerate(scopes):
        first, second = records[2 * n], records[2 * n + 1]
        assert first == second
        assert first["application_id"] in (f"{scope}/1", f"{scope}/2")
        assert await store.idempotency.find_one({"_id": scope}) == first


async def test_intake_status_view_is_saved_and_loaded(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    store = IntakeStore(client)
    cleanup(store.status, {"_id": application_id})
    cleanup(store.findings, {"application_id": application_id})
    body = {
        "application_id": application_id,
        "applicant_uscc": uscc,
        "submitted_at": AT.isoformat(),
        "application": application_for(uscc),
    }
    view = apply_event(
        StatusView(application_id=application_id),
        f"{application_id}/submitted",
        topics.APPLICATION_SUBMITTED,
        AT,
        body,
    )
    findings = [{"rule": "AMT-RATE", "clause": "三(一)2", "result": "pass", "message": "适用 50% 比例。"}]
    view = apply_event(
        view,
        "assessed-1",
        topics.ELIGIBILITY_ASSESSED,
        AT + timedelta(minutes=1),
        {"outcome": "pass", "findings": findings},
    )
    view = apply_event(
        view, "decided-1", topics.CASE_DECIDED, AT + timedelta(minutes=5), {"status": "awaiting_notice"}
    )
    assert await store.load_view(application_id) is None

    await store.save_view(view)

    assert await store.load_view(application_id) == view
    stored = await store.status.find_one({"_id": application_id}) or {}
    assert stored["status"] == "awaiting_notice"
    assert "findings" not in opened(stored)["checks"]["eligibility"]  # kept apart, with the verdict
    assert await store.list_views({"applicant_uscc": uscc}, 0, 10) == (1, [view])
    assert (await store.load_views([application_id]))[application_id] == view.without_findings()


# --- eligibility -----------------------------------------------------------------------------


async def test_eligibility_remembers_an_application_once(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    store = EligibilityStore(client)
    await store.ensure_indexes()
    cleanup(store.applications, {"_id": application_id})
    fields = {"applicant_uscc": uscc, "program_year": 2026, "submitted_at": AT, "contracts": [f"{uscc}|C-1"]}

    await store.remember(application_id, fields)
    await store.remember(application_id, {**fields, "contracts": ["changed|C-2"]})

    assert await store.application(application_id) == {"_id": application_id, **fields}
    assert await store.applications.count_documents({"applicant_uscc": uscc}) == 1


async def test_eligibility_ledger_is_saved_and_read_back(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    store = EligibilityStore(client)
    cleanup(store.ledgers, {"applicant_uscc": uscc})
    empty = await store.ledger(uscc, 2026)
    assert empty == Ledger(applicant_uscc=uscc, program_year=2026)

    reserved = empty.reserve(application_id, Decimal("600000.00"), CAP)
    await store.save_ledger(empty, reserved)

    read = await store.ledger(uscc, 2026)
    assert read == reserved
    assert read.reserved == {application_id: Decimal("600000.00")}
    assert read.revision == 1


async def test_eligibility_refuses_a_stale_ledger_write(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    store = EligibilityStore(client)
    cleanup(store.ledgers, {"applicant_uscc": uscc})
    empty = await store.ledger(uscc, 2026)
    first = empty.reserve(application_id, Decimal("600000.00"), CAP)
    await store.save_ledger(empty, first)

    with pytest.raises(ConcurrentUpdate):  # a second writer also starting from the empty ledger
        await store.save_ledger(empty, empty.reserve("SZV2026-OTHER-1", Decimal("1.00"), CAP))

    current = await store.ledger(uscc, 2026)
    second = current.reserve("SZV2026-OTHER-2", Decimal("100000.00"), CAP)
    await store.save_ledger(current, second)
    with pytest.raises(ConcurrentUpdate):  # a writer still holding revision 1
        await store.save_ledger(current, current.grant(application_id, Decimal("600000.00")))

    assert await store.ledger(uscc, 2026) == second
    assert second.revision == 2


# --- verification ----------------------------------------------------------------------------


async def test_verification_keeps_one_consent_record_per_document(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    store = VerificationStore(client)
    await store.ensure_indexes()
    cleanup(store.consents, {"applicant_uscc": uscc})
    record = ConsentRecord(
        application_id=application_id,
        applicant_uscc=uscc,
        signed_by="P-LR-1",
        document_sha256="a" * 64,
        stamped=True,
        signed_by_legal_rep=True,
        received_at=AT,
    )

    first = await store.record(record)
    again = await store.record(record.model_copy(update={"stamped": False}))

    assert (first, again) == (True, False)
    assert await store.list(applicant_uscc=uscc) == [record]
    assert await store.list(application_id=application_id) == [record]


async def test_verification_lists_consent_records_in_the_order_received(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    store = VerificationStore(client)
    cleanup(store.consents, {"applicant_uscc": uscc})
    later = ConsentRecord(
        application_id=application_id,
        applicant_uscc=uscc,
        signed_by=None,
        document_sha256="b" * 64,
        stamped=True,
        signed_by_legal_rep=False,
        received_at=AT + timedelta(hours=1),
    )
    earlier = later.model_copy(update={"document_sha256": "c" * 64, "received_at": AT})

    assert await store.record(later)
    assert await store.record(earlier)

    assert await store.list(applicant_uscc=uscc) == [earlier, later]
    assert await store.list(applicant_uscc=uscc, limit=1) == [earlier]


# --- notification ----------------------------------------------------------------------------


async def test_notification_case_is_saved_and_loaded(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    store = NotificationStore(client)
    await store.ensure_indexes()
    cleanup(store.cases, {"_id": application_id})
    assert await store.load(application_id) is None
    info = {"applicant_name": "深圳示例科技有限公司", "email": "ops@example.cn"}
    stored = StoredCase(open_case(application_id, uscc, AT), info, [], [], 0)

    await store.save(stored)

    loaded = await store.load(application_id)
    assert loaded is not None
    assert (loaded.case, loaded.info, loaded.outbox, loaded.letters, loaded.revision) == (
        stored.case,
        info,
        [],
        [],
        1,
    )


async def test_notification_refuses_a_stale_case_write(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, uscc = ids
    store = NotificationStore(client)
    cleanup(store.cases, {"_id": application_id})
    await store.save(StoredCase(open_case(application_id, uscc, AT), {}, [], [], 0))
    with pytest.raises(TransientError):  # a second creator of the same case
        await store.save(StoredCase(open_case(application_id, uscc, AT), {}, [], [], 0))

    mine, theirs = await store.load(application_id), await store.load(application_id)
    assert mine is not None
    assert theirs is not None
    review = StatusChange(at=AT + timedelta(hours=1), status="needs_review", note="复核")
    mine.case = mine.case.moved_to(review)
    await store.save(mine)
    theirs.case = theirs.case.moved_to(StatusChange(at=AT + timedelta(hours=2), status="rejected"))
    with pytest.raises(TransientError):
        await store.save(theirs)

    loaded = await store.load(application_id)
    assert loaded is not None
    assert (loaded.case.status, loaded.revision) == ("needs_review", 2)


async def test_notification_stores_an_objection_once_and_withdraws_an_application_once(
    client: AsyncMongoClient[Document], cleanup: Cleanup, ids: tuple[str, str]
) -> None:
    application_id, _ = ids
    store = NotificationStore(client)
    objection_id, notice_id = f"OBJ-{uuid.uuid4().hex[:16].upper()}", f"GS-{uuid.uuid4().hex[:8]}"
    cleanup(store.objections, {"_id": objection_id})
    cleanup(store.notices, {"_id": notice_id})
    objection = {"_id": objection_id, "application_id": application_id, "reason": "理由", "resolved": None}
    assert await store.add_objection(objection)
    assert not await store.add_objection({**objection, "reason": "另一理由"})
    await store.resolve_objection(objection_id, {"upheld": False, "by": "op", "at": AT})
    found = await store.objection(objection_id)
    assert found is not None
    assert (found["reason"], found["resolved"]["at"]) == ("理由", AT)
    await store.save_notice({"_id": notice_id, "entries": [{"application_id": application_id}]})
    await store.withdraw_from_notice(notice_id, application_id)
    await store.withdraw_from_notice(notice_id, application_id)
    notice = await store.notice(notice_id)
    assert notice is not None
    assert notice["withdrawn"] == [application_id]
    await store.drop_objection(objection_id)
    assert await store.objection(objection_id) is None


# --- reference data --------------------------------------------------------------------------


async def test_refdata_keeps_the_newest_snapshot(client: AsyncMongoClient[Document]) -> None:
    database = f"test_refdata_{uuid.uuid4().hex[:12]}"
    store = RefdataStore(client, database)
    items = [{"uscc": make_uscc(lone_serial()), "name": "算力服务有限公司", "batch": 2}]
    older = build_snapshot("providers", items, "operator-1", AT)
    newer = build_snapshot("providers", items[:0], "operator-1", AT + timedelta(seconds=1))
    assert older.version < newer.version
    try:
        assert await store.save(older)
        assert (await store.current(["providers"]))["providers"] == older

        assert await store.save(newer)
        assert not await store.save(older)
        assert not await store.save(newer)

        assert await store.versions() == {"providers": newer.version}
        assert await store.current(["providers", "holdings"]) == {"providers": newer}
        assert await RefdataStore(client, database).current(["providers"]) == {"providers": newer}
    finally:
        await client.drop_database(database)


async def test_a_snapshot_another_replica_stores_is_in_force_here_within_the_freshness_window(
    client: AsyncMongoClient[Document],
) -> None:
    database = f"test_refdata_{uuid.uuid4().hex[:12]}"
    items = [{"uscc": make_uscc(lone_serial()), "name": "算力服务有限公司", "batch": 2}]
    first = build_snapshot("providers", items, "operator-1", AT)
    second = build_snapshot("providers", items[:0], "operator-1", AT + timedelta(seconds=1))
    here = RefdataStore(client, database, fresh_s=0.5)
    there = RefdataStore(client, database, fresh_s=0.5)
    try:
        await there.save(first)
        assert await here.current(["providers"]) == {"providers": first}
        await there.save(second)
        assert await there.current(["providers"]) == {"providers": second}  # its own: at once
        assert await here.current(["providers"]) == {"providers": first}  # read just now
        await asyncio.sleep(0.6)
        assert await here.current(["providers"]) == {"providers": second}
    finally:
        await client.drop_database(database)


async def test_refdata_stored_before_the_version_pointer_is_still_found(
    client: AsyncMongoClient[Document],
) -> None:
    database = f"test_refdata_{uuid.uuid4().hex[:12]}"
    items = [{"uscc": make_uscc(lone_serial()), "name": "算力服务有限公司", "batch": 2}]
    snapshot = build_snapshot("providers", items, "operator-1", AT)
    try:
        # A snapshot as an earlier release stored it: its document, no version pointer.
        await client[database]["refdata"].insert_one({"_id": "providers", **snapshot.model_dump()})

        store = RefdataStore(client, database)
        assert await store.current(["providers"]) == {"providers": snapshot}
        pointer = await client[database]["refdata_versions"].find_one({"_id": "versions"})
        assert pointer == {"_id": "versions", "providers": snapshot.version}
    finally:
        await client.drop_database(database)
