"""Which audit report MAT-FINANCIAL rests on (五(六); 声明二), and why each other one is not used.

The program's audit years come most preferred first (2026: FY2025, then FY2024). The preferred
year's report is the one that counts. A later year's (FY2024) counts only for a unit that has
not completed the preferred year's audit (未完成2025年度财务审计报告的单位) and says so in its
declarations (`fy2025_audit_incomplete`); such a unit cannot also file a report of the
preferred year, and filing both is a contradiction no report is chosen from. A report without a
QR verification code is not used (声明二: 无二维验证码（未备案）……不予采用).
"""

from __future__ import annotations

from dataclasses import dataclass

from vouchers_shared.application import Application, Material

from verification.domain.model import MaterialParams

Reason = str
"""Why something is not used: a code, with the fiscal year it concerns after a colon, as the
wording of MAT-FINANCIAL reads it (vouchers_shared.wording.material_finance)."""


@dataclass(frozen=True)
class AuditChoice:
    """The report used (None: none can be), and why each other report, or none at all, is not."""

    used: Material | None
    not_used: tuple[Reason, ...]
    declared_incomplete: bool


def choose_audit_report(app: Application, params: MaterialParams) -> AuditChoice:
    """The first report, in the order the years are preferred and then as filed, that counts."""
    preferred, *later = params.audit_fiscal_years
    declared = app.declarations.fy2025_audit_incomplete
    reports = app.materials_of("audit_report")
    if declared and any(r.fiscal_year == preferred for r in reports):
        return AuditChoice(None, ("contradiction",), declared)
    years = later if declared else [preferred]
    candidates = [r for year in years for r in reports if r.fiscal_year == year and r.qr_code]
    used = candidates[0] if candidates else None
    reasons = tuple(_why_not(r, used, declared, params) for r in reports if r is not used)
    if not reports:
        reasons = ("no_report",)
    return AuditChoice(used, reasons, declared)


def _why_not(report: Material, used: Material | None, declared: bool, params: MaterialParams) -> Reason:
    preferred = params.audit_fiscal_years[0]
    year = report.fiscal_year
    if year is None or year not in params.audit_fiscal_years:
        return f"wrong_year:{'' if year is None else year}"
    if year != preferred and not declared:
        return f"not_declared:{year}"
    if not report.qr_code:
        return f"no_qr:{year}"
    assert used is not None  # a counting report with a QR code is only passed over for another
    return f"another:{year}"
