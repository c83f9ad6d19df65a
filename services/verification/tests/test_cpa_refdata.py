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


def test_reference_data_registering_one_code_to_two_applicants_is_refused() -> None:
    items = [
        AuditReportItem(qr_code=QR, uscc=USCC, fiscal_year=2025),
        AuditReportItem(qr_code=QR, uscc=OTHER_ENTERPRISE_USCC, fiscal_year=2025),
    ]

    with pytest.raises(ValueError, match="registered twice"):
        RefdataCpaPlatform.from_items(items)


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
