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

Reason = tuple[str, str]
"""Why something is not used, in Chinese and in English."""
DECLARATION = "declarations.fy2025_audit_incomplete"


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
        return AuditChoice(None, (_contradiction(preferred),), declared)
    years = later if declared else [preferred]
    candidates = [r for year in years for r in reports if r.fiscal_year == year and r.qr_code]
    used = candidates[0] if candidates else None
    reasons = tuple(_why_not(r, used, declared, params) for r in reports if r is not used)
    if not reports:
        reasons = (("未提交财务审计报告", "no audit report was submitted"),)
    return AuditChoice(used, reasons, declared)


def _contradiction(preferred: int) -> Reason:
    return (
        f"申请单位声明未完成 {preferred} 年度财务审计，却又提交了 {preferred} 年度财务审计报告，"
        "二者矛盾，不采用任何审计报告",
        f"the applicant declares its FY{preferred} audit not completed ({DECLARATION}) yet "
        f"submitted an FY{preferred} audit report; the two contradict each other, so no audit "
        "report is used",
    )


def _why_not(report: Material, used: Material | None, declared: bool, params: MaterialParams) -> Reason:
    preferred, *later = params.audit_fiscal_years
    year = report.fiscal_year
    if year is None or year not in params.audit_fiscal_years:
        given = "未注明年度" if year is None else f"为 {year} 年度"
        return (
            f"财务审计报告{given}，{_years_zh(preferred, later)}",
            f"an audit report {'names no fiscal year' if year is None else f'covers FY{year}'}; "
            f"{_years_en(preferred, later)}",
        )
    if year != preferred and not declared:
        return (
            f"{year} 年度财务审计报告仅适用于未完成 {preferred} 年度审计的单位，申请单位未作此声明，不予采用",
            f"the FY{year} audit report counts only for a unit that has not completed its "
            f"FY{preferred} audit, which the applicant does not declare ({DECLARATION})",
        )
    if not report.qr_code:
        return (
            f"{year} 年度财务审计报告无二维验证码（未备案），不予采用",
            f"the FY{year} audit report carries no QR verification code and cannot be used",
        )
    assert used is not None  # a counting report with a QR code is only passed over for another
    return (
        f"另一份 {year} 年度财务审计报告不再采用（已采用 {used.fiscal_year} 年度报告）",
        f"another FY{year} audit report is not used (the FY{used.fiscal_year} report is)",
    )


def _years_zh(preferred: int, later: list[int]) -> str:
    text = f"须为 {preferred} 年度"
    if later:
        text += f"（未完成 {preferred} 年度审计的，可提交 {'、'.join(map(str, later))} 年度）"
    return text


def _years_en(preferred: int, later: list[int]) -> str:
    text = f"it must cover FY{preferred}"
    if later:
        text += f" (or FY{'/'.join(map(str, later))} where the FY{preferred} audit is not completed)"
    return text
