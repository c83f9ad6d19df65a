"""The material rules of 五 (申请材料) that look at documents other than the financial ones."""

from __future__ import annotations

from vouchers_shared.application import Application, MaterialKind
from vouchers_shared.findings import Finding, Result
from vouchers_shared.wording import say

from verification.domain.documents import ABSENT, PRESENT, Marks, marked_document
from verification.domain.rulebook import finding

SIGNED_AND_STAMPED = Marks(signature=True, stamp=True)
STAMPED = Marks(signature=False, stamp=True)
UNMARKED = Marks(signature=False, stamp=False)


def _marked(rule: str, app: Application, kind: MaterialKind, marks: Marks) -> Finding:
    """The rule's finding on the document of material kind `kind`, which names it."""
    return marked_document(rule, app.materials_of(kind), kind, marks)


def application_form(app: Application) -> Finding:
    """MAT-APPLICATION-FORM 五(一): the application form is present."""
    return _marked("MAT-APPLICATION-FORM", app, "application_form", UNMARKED)


def license_document(app: Application) -> Finding:
    """MAT-LICENSE 五(二): licence (or, for public institutions, the registration certificate)."""
    kind: MaterialKind = "institution_certificate" if app.applicant.public_institution else "business_license"
    return _marked("MAT-LICENSE", app, kind, SIGNED_AND_STAMPED)


def _contract(no: str, filed: bool) -> Finding:
    observed = PRESENT if filed else ABSENT
    result: Result = "pass" if filed else "fail"
    text = say("MAT-CONTRACT.submitted" if filed else "MAT-CONTRACT.absent", no=no)
    return finding("MAT-CONTRACT", result, text, observed=observed, limit=PRESENT, contract_no=no)


def contracts(app: Application) -> list[Finding]:
    """MAT-CONTRACT 五(三): a service-contract document for each declared contract."""
    filed = {m.contract_no for m in app.materials_of("service_contract")}
    return [_contract(c.contract_no, c.contract_no in filed) for c in app.contracts]


def scenario(app: Application) -> Finding:
    """MAT-SCENARIO 五(四): the usage-scenario statement, stamped."""
    return _marked("MAT-SCENARIO", app, "usage_scenario_statement", STAMPED)


def tax(app: Application) -> Finding:
    """MAT-TAX 五(七): last year's tax payment certificate, except for public institutions."""
    if app.applicant.public_institution:
        return finding(
            "MAT-TAX",
            "pass",
            say("MAT-TAX.not_applicable"),
            observed="public_institution",
            limit="non-public institutions only",
        )
    year = app.program_year - 1
    years = sorted({m.year for m in app.materials_of("tax_payment_certificate")}, key=str)
    limit = f"year={year}"
    if year in years:
        text = say("MAT-TAX.submitted", year=str(year))
        return finding("MAT-TAX", "pass", text, observed=limit, limit=limit)
    observed = ", ".join(f"year={y}" for y in years) or ABSENT
    return finding("MAT-TAX", "fail", say("MAT-TAX.absent", year=str(year)), observed=observed, limit=limit)


def commitment(app: Application) -> Finding:
    """MAT-COMMITMENT 五(八): the commitment letter, signed by the legal representative, stamped."""
    return _marked("MAT-COMMITMENT", app, "commitment_letter", SIGNED_AND_STAMPED)


def audit_consent(app: Application) -> Finding:
    """MAT-AUDIT-CONSENT 五(九): the compute-audit consent, signed and stamped."""
    return _marked("MAT-AUDIT-CONSENT", app, "audit_consent", SIGNED_AND_STAMPED)


def ethics(app: Application) -> Finding:
    """MAT-ETHICS 五(十): an ethics approval or filing where the project involves ethics/safety."""
    if not app.project.ethics_or_safety_involved:
        return finding(
            "MAT-ETHICS",
            "pass",
            say("MAT-ETHICS.not_involved"),
            observed="ethics_or_safety_involved=false",
            limit="approval when involved",
        )
    if app.materials_of("ethics_approval"):
        return finding(
            "MAT-ETHICS",
            "pass",
            say("MAT-ETHICS.submitted"),
            observed=PRESENT,
            limit=PRESENT,
        )
    return finding(
        "MAT-ETHICS",
        "fail",
        say("MAT-ETHICS.absent"),
        observed=ABSENT,
        limit=PRESENT,
    )
