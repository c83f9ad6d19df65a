"""Wordings of MAT-FINANCIAL: which financial document the application rests on, and why each
audit report is or is not used (MAT-AUDIT-QR's are in `materials`).

`years` are the program's audit fiscal years, most preferred first, joined with ",". `reasons`
say why a report, or none, is not used, in order, joined with ",": each a code, with the fiscal
year it concerns after a colon (`no_qr:2025`; `wrong_year:` for a report naming no year):

- `no_report`: no audit report was submitted;
- `contradiction`: the applicant declares the preferred year's audit incomplete yet files it;
- `wrong_year:<year>`: a report covers a year the program does not take;
- `not_declared:<year>`: a later year's report, without the declaration it needs;
- `no_qr:<year>`: a report without a QR verification code;
- `another:<year>`: a second report, passed over for the one used (`year`);
- `capital`: a capital verification report from an enterprise that is not young (`cutoff`,
  `registered`).
"""

from __future__ import annotations

from typing import Final

from vouchers_shared.wording.registry import codes, wording

__all__ = ["DECLARATION"]

DECLARATION: Final = "declarations.fy2025_audit_incomplete"
"""The declaration a unit makes when its preferred year's audit is not completed."""


def _years_zh(preferred: str, later: list[str]) -> str:
    text = f"须为 {preferred} 年度"
    if later:
        text += f"（未完成 {preferred} 年度审计的，可提交 {'、'.join(later)} 年度）"
    return text


def _years_en(preferred: str, later: list[str]) -> str:
    text = f"it must cover FY{preferred}"
    if later:
        text += f" (or FY{'/'.join(later)} where the FY{preferred} audit is not completed)"
    return text


def _reason(token: str, years: list[str], used: str, cutoff: str, registered: str) -> tuple[str, str]:
    code, _, year = token.partition(":")
    preferred, *later = years
    if code == "no_report":
        return "未提交财务审计报告", "no audit report was submitted"
    if code == "contradiction":
        return (
            f"申请单位声明未完成 {preferred} 年度财务审计，却又提交了 {preferred} 年度财务审计报告，"
            "二者矛盾，不采用任何审计报告",
            f"the applicant declares its FY{preferred} audit not completed ({DECLARATION}) yet "
            f"submitted an FY{preferred} audit report; the two contradict each other, so no audit "
            "report is used",
        )
    if code == "wrong_year":
        given = "未注明年度" if not year else f"为 {year} 年度"
        return (
            f"财务审计报告{given}，{_years_zh(preferred, later)}",
            f"an audit report {'names no fiscal year' if not year else f'covers FY{year}'}; "
            f"{_years_en(preferred, later)}",
        )
    if code == "not_declared":
        return (
            f"{year} 年度财务审计报告仅适用于未完成 {preferred} 年度审计的单位，申请单位未作此声明，不予采用",
            f"the FY{year} audit report counts only for a unit that has not completed its "
            f"FY{preferred} audit, which the applicant does not declare ({DECLARATION})",
        )
    if code == "no_qr":
        return (
            f"{year} 年度财务审计报告无二维验证码（未备案），不予采用",
            f"the FY{year} audit report carries no QR verification code and cannot be used",
        )
    if code == "another":
        return (
            f"另一份 {year} 年度财务审计报告不再采用（已采用 {used} 年度报告）",
            f"another FY{year} audit report is not used (the FY{used} report is)",
        )
    if code == "capital":
        return (
            f"验资报告仅适用于注册未满一年的企业（须于 {cutoff} 或之后注册，本单位注册于 {registered}）",
            "a capital verification report stands in only for an enterprise registered less than "
            f"one year before the guide (on or after {cutoff}; registered {registered})",
        )
    raise ValueError(f"no such reason: {code}")


def _reasons(
    reasons: str, years: str, *, used: str = "", cutoff: str = "", registered: str = ""
) -> list[tuple[str, str]]:
    fiscal_years = codes(years)
    return [_reason(t, fiscal_years, used, cutoff, registered) for t in codes(reasons)]


@wording("MAT-FINANCIAL.fail")
def _financial_fail(*, reasons: str, years: str, cutoff: str = "", registered: str = "") -> tuple[str, str]:
    said = _reasons(reasons, years, cutoff=cutoff, registered=registered)
    en = "; ".join(r[1] for r in said)
    return "；".join(r[0] for r in said) + "。", en[:1].upper() + en[1:] + "."


@wording("MAT-FINANCIAL.no_final_accounts")
def _financial_no_final_accounts() -> tuple[str, str]:
    return (
        "事业单位须提交通过审查的财务决算报表，未提交。",
        "A public institution must give its reviewed financial final accounts.",
    )


@wording("MAT-FINANCIAL.final_accounts")
def _financial_final_accounts() -> tuple[str, str]:
    return (
        "已提交通过审查的事业单位财务决算报表。",
        "The public institution's financial final accounts were submitted.",
    )


@wording("MAT-FINANCIAL.capital_verification")
def _financial_capital_verification() -> tuple[str, str]:
    return (
        "注册未满一年的企业已提交验资报告。",
        "An enterprise registered less than one year ago gave a capital verification report.",
    )


def _audit_report(year: str, years: str, reasons: str, declared: bool) -> tuple[str, str]:
    zh = f"采用含二维验证码的 {year} 年度财务审计报告"
    en = f"The FY{year} audit report with a QR verification code is used"
    if declared:
        preferred = codes(years)[0]
        zh += f"（申请单位声明未完成 {preferred} 年度财务审计）"
        en += f", the applicant declaring its FY{preferred} audit not completed ({DECLARATION})"
    said = _reasons(reasons, years, used=year)
    zh += "".join(f"；{r[0]}" for r in said) + "。"
    en += "".join(f"; {r[1]}" for r in said) + "."
    return zh, en


@wording("MAT-FINANCIAL.audit_report")
def _financial_audit_report(*, year: str, years: str, reasons: str) -> tuple[str, str]:
    return _audit_report(year, years, reasons, declared=False)


@wording("MAT-FINANCIAL.audit_report_declared")
def _financial_audit_report_declared(*, year: str, years: str, reasons: str) -> tuple[str, str]:
    """The report of a later year, the applicant declaring the preferred year's audit incomplete."""
    return _audit_report(year, years, reasons, declared=True)
