"""注册时间未满一周年的企业 (三(一)2; 五(六)): who is a young enterprise, decided in one place.

Two rules turn on it: the higher voucher rate (AMT-RATE, eligibility) and the capital
verification report a young enterprise may give instead of an audit report (MAT-FINANCIAL,
verification). Both call `YoungEnterprise.includes`, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from vouchers_shared.application import Applicant
from vouchers_shared.program import ProgramParams


def anniversary(d: date, years: int) -> date:
    """The same day `years` later; a 29 February falls on 28 February in a common year."""
    # A period counted in years ends on the corresponding day, or on the month's last day when
    # that month has no such day (the civil-law rule for 周年).
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


@dataclass(frozen=True)
class YoungEnterprise:
    """An enterprise registered less than `max_age_years` full years before the guide came out."""

    guide_published_on: date
    max_age_years: int

    @classmethod
    def of(cls, params: ProgramParams) -> YoungEnterprise:
        """The test of a program year (guide_published_on, young_enterprise_max_age_years)."""
        return cls(params.guide_published_on, params.young_enterprise_max_age_years)

    def includes(self, applicant: Applicant) -> bool:
        """Whether the applicant is a 企业 not yet `max_age_years` old on the publication day."""
        # Only `enterprise` reads as 企业: universities and institutes are not, however young.
        # A public institution (事业单位) is not a 企业 either, whatever org_type it gave: it is
        # registered under the public-institution rules, not as an enterprise, and 五(六) asks it
        # for its final accounts, not an audit or capital verification report.
        if applicant.org_type != "enterprise" or applicant.public_institution:
            return False
        return self.registered_young(applicant.registered_on)

    def registered_young(self, registered_on: date) -> bool:
        """Whether a registration on that day is short of the full age on the publication day."""
        # Registered on 2025-04-30 is exactly one full year on 2026-04-30: not young. One
        # registered after the guide came out is, a fortiori, under one year old.
        return anniversary(registered_on, self.max_age_years) > self.guide_published_on

    @property
    def first_young_registration(self) -> date:
        """The earliest registration day still short of the full age (2026: 2025-05-01)."""
        day = anniversary(self.guide_published_on, -self.max_age_years)
        while not self.registered_young(day):
            day += timedelta(days=1)
        return day
