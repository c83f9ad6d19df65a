"""The CPA platform answered from the `audit_reports` reference data (local mode)."""

from __future__ import annotations

import pytest
from verification.adapters.cpa_platform import RefdataCpaPlatform, collect_answers
from verification.domain.model import QrAnswer, QrQuery
from verification.errors import PlatformUnavailable
from verification.ports import CpaPlatform
from verification_testkit import OTHER_ENTERPRISE_USCC, load_example
from vouchers_shared.refdata import AuditReportItem

QR = "CPA-2025-5K00010T"
USCC = "91440305MA5K00010T"


def platform() -> RefdataCpaPlatform:
    items = [AuditReportItem.model_validate(i) for i in load_example("refdata")["audit_reports"]]
    return RefdataCpaPlatform.from_items(items)


@pytest.mark.parametrize(
    ("qr_code", "uscc", "fiscal_year", "registered"),
    [
        (QR, USCC, 2025, True),
        (QR, OTHER_ENTERPRISE_USCC, 2025, False),
        (QR, USCC, 2024, False),
        ("CPA-UNKNOWN", USCC, 2025, False),
    ],
)
async def test_a_code_counts_only_for_the_uscc_and_year_it_is_registered_to(
    qr_code: str, uscc: str, fiscal_year: int, registered: bool
) -> None:
    assert await platform().is_registered(qr_code, uscc, fiscal_year) is registered


@pytest.mark.parametrize("other", [(OTHER_ENTERPRISE_USCC, 2025), (USCC, 2024)])
async def test_a_code_registered_twice_differently_gets_no_answer_and_every_other_code_does(
    other: tuple[str, int],
) -> None:
    # Such a snapshot is refused at loading now; one stored before must not break every check.
    items = [
        AuditReportItem(qr_code=QR, uscc=USCC, fiscal_year=2025),
        AuditReportItem(qr_code="CPA-2025-OTHER", uscc=OTHER_ENTERPRISE_USCC, fiscal_year=2025),
        AuditReportItem(qr_code=QR, uscc=other[0], fiscal_year=other[1]),
    ]

    twice = RefdataCpaPlatform.from_items(items)

    for uscc, year in ((USCC, 2025), other):
        with pytest.raises(PlatformUnavailable, match="registered more than once"):
            await twice.is_registered(QR, uscc, year)
    assert await twice.is_registered("CPA-2025-OTHER", OTHER_ENTERPRISE_USCC, 2025) is True
    queries = [QrQuery(qr_code=QR, uscc=USCC, fiscal_year=2025)]
    assert await collect_answers(twice, queries) == {QR: QrAnswer.UNAVAILABLE}


async def test_the_same_registration_listed_twice_answers_as_once() -> None:
    row = AuditReportItem(qr_code=QR, uscc=USCC, fiscal_year=2025)

    assert await RefdataCpaPlatform.from_items([row, row]).is_registered(QR, USCC, 2025) is True


class SilentPlatform:
    """A platform that never answers."""

    async def is_registered(self, qr_code: str, uscc: str, fiscal_year: int) -> bool:
        raise PlatformUnavailable("no answer")


async def test_collected_answers_mark_an_unanswered_query_unavailable() -> None:
    queries = [QrQuery(qr_code=QR, uscc=USCC, fiscal_year=2025)]
    silent: CpaPlatform = SilentPlatform()

    assert await collect_answers(silent, queries) == {QR: QrAnswer.UNAVAILABLE}
    assert await collect_answers(platform(), queries) == {QR: QrAnswer.REGISTERED}


async def test_collected_answers_tell_registered_from_not_registered() -> None:
    queries = [
        QrQuery(qr_code=QR, uscc=USCC, fiscal_year=2025),
        QrQuery(qr_code="CPA-FAKE", uscc=USCC, fiscal_year=2025),
    ]

    assert await collect_answers(platform(), queries) == {
        QR: QrAnswer.REGISTERED,
        "CPA-FAKE": QrAnswer.NOT_REGISTERED,
    }
