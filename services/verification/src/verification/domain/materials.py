"""The material rules of 五 (申请材料) that look at documents other than the financial ones."""

from __future__ import annotations

from vouchers_shared.application import Application
from vouchers_shared.findings import Finding, Result

from verification.domain.documents import ABSENT, PRESENT, DocName, Marks, marked_document
from verification.domain.rulebook import finding

SIGNED_AND_STAMPED = Marks(signature=True, stamp=True)
STAMPED = Marks(signature=False, stamp=True)
UNMARKED = Marks(signature=False, stamp=False)

APPLICATION_FORM = DocName("项目申请书", "application form")
BUSINESS_LICENSE = DocName("营业执照复印件", "business licence copy")
INSTITUTION_CERTIFICATE = DocName(
    "事业单位登记证书复印件", "public-institution registration certificate copy"
)
SCENARIO = DocName("训力券使用场景情况说明", "usage-scenario statement")
COMMITMENT = DocName("项目承诺书", "project commitment letter")
AUDIT_CONSENT = DocName("训力审计同意书", "compute-audit consent")


def application_form(app: Application) -> Finding:
    """MAT-APPLICATION-FORM 五(一): the application form is present."""
    return marked_document(
        "MAT-APPLICATION-FORM", app.materials_of("application_form"), APPLICATION_FORM, UNMARKED
    )


def license_document(app: Application) -> Finding:
    """MAT-LICENSE 五(二): licence (or, for public institutions, the registration certificate)."""
    if app.applicant.public_institution:
        docs, name = app.materials_of("institution_certificate"), INSTITUTION_CERTIFICATE
    else:
        docs, name = app.materials_of("business_license"), BUSINESS_LICENSE
    return marked_document("MAT-LICENSE", docs, name, SIGNED_AND_STAMPED)


def _contract(no: str, filed: bool) -> Finding:
    if filed:
        zh = f"已提交合同 {no} 的算力服务合同文本。"
        en = f"The service contract document for contract {no} was submitted."
    else:
        zh = f"未提交合同 {no} 的算力服务合同文本。"
        en = f"No service contract document was submitted for contract {no}."
    observed = PRESENT if filed else ABSENT
    result: Result = "pass" if filed else "fail"
    return finding("MAT-CONTRACT", result, zh, en, observed=observed, limit=PRESENT, contract_no=no)


def contracts(app: Application) -> list[Finding]:
    """MAT-CONTRACT 五(三): a service-contract document for each declared contract."""
    filed = {m.contract_no for m in app.materials_of("service_contract")}
    return [_contract(c.contract_no, c.contract_no in filed) for c in app.contracts]


def scenario(app: Application) -> Finding:
    """MAT-SCENARIO 五(四): the usage-scenario statement, stamped."""
    return marked_document("MAT-SCENARIO", app.materials_of("usage_scenario_statement"), SCENARIO, STAMPED)


def tax(app: Application) -> Finding:
    """MAT-TAX 五(七): last year's tax payment certificate, except for public institutions."""
    if app.applicant.public_institution:
        return finding(
            "MAT-TAX",
            "pass",
            "事业单位无需提供完税证明（五(七)：非事业单位提供）。",
            "Not applicable: public institutions give no tax payment certificate.",
            observed="public_institution",
            limit="non-public institutions only",
        )
    year = app.program_year - 1
    years = sorted({m.year for m in app.materials_of("tax_payment_certificate")}, key=str)
    limit = f"year={year}"
    if year in years:
        zh, en = f"已提交 {year} 年度完税证明。", f"The tax payment certificate for {year} was submitted."
        return finding("MAT-TAX", "pass", zh, en, observed=limit, limit=limit)
    observed = ", ".join(f"year={y}" for y in years) or ABSENT
    zh = f"未提交上年度（{year} 年度）完税证明。"
    en = f"No tax payment certificate for last year ({year}) was submitted."
    return finding("MAT-TAX", "fail", zh, en, observed=observed, limit=limit)


def commitment(app: Application) -> Finding:
    """MAT-COMMITMENT 五(八): the commitment letter, signed by the legal representative, stamped."""
    return marked_document(
        "MAT-COMMITMENT", app.materials_of("commitment_letter"), COMMITMENT, SIGNED_AND_STAMPED
    )


def audit_consent(app: Application) -> Finding:
    """MAT-AUDIT-CONSENT 五(九): the compute-audit consent, signed and stamped."""
    return marked_document(
        "MAT-AUDIT-CONSENT", app.materials_of("audit_consent"), AUDIT_CONSENT, SIGNED_AND_STAMPED
    )


def ethics(app: Application) -> Finding:
    """MAT-ETHICS 五(十): an ethics approval or filing where the project involves ethics/safety."""
    if not app.project.ethics_or_safety_involved:
        return finding(
            "MAT-ETHICS",
            "pass",
            "项目不涉及科技伦理或科技安全，无需提供伦理审查批件。",
            "Not applicable: the project involves no ethics or safety matters.",
            observed="ethics_or_safety_involved=false",
            limit="approval when involved",
        )
    if app.materials_of("ethics_approval"):
        return finding(
            "MAT-ETHICS",
            "pass",
            "项目涉及科技伦理或科技安全，已提交伦理审查批准或备案文件。",
            "The project involves ethics or safety matters and the approval was submitted.",
            observed=PRESENT,
            limit=PRESENT,
        )
    return finding(
        "MAT-ETHICS",
        "fail",
        "项目涉及科技伦理或科技安全，未提交伦理审查批准或备案文件。",
        "The project involves ethics or safety matters but no approval or filing was submitted.",
        observed=ABSENT,
        limit=PRESENT,
    )
