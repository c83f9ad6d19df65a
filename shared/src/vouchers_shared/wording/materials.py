"""Wordings of the material findings (MAT-*) other than MAT-FINANCIAL: the application form, the
licence, the service contracts, the usage-scenario statement, the personnel, the tax certificate,
the commitment letter, the compute-audit consent, the ethics approval, and the audit report's QR
code asked of the CPA supervision platform (MAT-AUDIT-QR). MAT-FINANCIAL's are in `material_finance`.

A document is named by its material kind (`doc`), the marks it must carry or lacks by codes
(`signature`, `stamp`), a person's shortfalls by the ids lacking each; lists are joined with ",".
"""

from __future__ import annotations

from typing import Final

from vouchers_shared.wording.registry import codes, wording

__all__ = ["DOCUMENTS", "MARKED_RULES", "MARKS"]

DOCUMENTS: Final[dict[str, tuple[str, str]]] = {
    "application_form": ("项目申请书", "application form"),
    "business_license": ("营业执照复印件", "business licence copy"),
    "institution_certificate": ("事业单位登记证书复印件", "public-institution registration certificate copy"),
    "usage_scenario_statement": ("训力券使用场景情况说明", "usage-scenario statement"),
    "commitment_letter": ("项目承诺书", "project commitment letter"),
    "audit_consent": ("训力审计同意书", "compute-audit consent"),
}
"""How each document a rule asks for is called, by its material kind."""

MARKS: Final[dict[str, tuple[str, str]]] = {
    "signature": ("法定代表人签名", "the legal representative's signature"),
    "stamp": ("公章", "the official seal"),
}
"""The marks a document may have to carry, by code."""

_DONE: Final[dict[str, tuple[str, str]]] = {
    "signature,stamp": ("，经法定代表人签名并加盖公章", ", signed by the legal representative and stamped"),
    "stamp": ("，已加盖公章", ", stamped"),
}

MARKED_RULES: Final = (
    "MAT-APPLICATION-FORM",
    "MAT-LICENSE",
    "MAT-SCENARIO",
    "MAT-COMMITMENT",
    "MAT-AUDIT-CONSENT",
)
"""The rules that ask for one document carrying some marks: each has the variants `absent`,
`missing_marks` and `submitted`."""


def _doc_absent(*, doc: str) -> tuple[str, str]:
    zh, en = DOCUMENTS[doc]
    return f"未提交{zh}。", f"No {en} was submitted."


def _doc_missing_marks(*, doc: str, missing: str) -> tuple[str, str]:
    zh, en = DOCUMENTS[doc]
    marks = [MARKS[code] for code in codes(missing)]
    return (
        f"{zh}缺少{'、'.join(m[0] for m in marks)}。",
        f"The {en} lacks {' and '.join(m[1] for m in marks)}.",
    )


def _doc_submitted(*, doc: str, marks: str) -> tuple[str, str]:
    zh, en = DOCUMENTS[doc]
    done_zh, done_en = _DONE.get(marks, ("", ""))
    return f"已提交{zh}{done_zh}。", f"The {en} was submitted{done_en}."


for _rule in MARKED_RULES:
    wording(f"{_rule}.absent")(_doc_absent)
    wording(f"{_rule}.missing_marks")(_doc_missing_marks)
    wording(f"{_rule}.submitted")(_doc_submitted)


@wording("MAT-CONTRACT.submitted")
def _contract_submitted(*, no: str) -> tuple[str, str]:
    return (
        f"已提交合同 {no} 的算力服务合同文本。",
        f"The service contract document for contract {no} was submitted.",
    )


@wording("MAT-CONTRACT.absent")
def _contract_absent(*, no: str) -> tuple[str, str]:
    return (
        f"未提交合同 {no} 的算力服务合同文本。",
        f"No service contract document was submitted for contract {no}.",
    )


@wording("MAT-TAX.not_applicable")
def _tax_not_applicable() -> tuple[str, str]:
    return (
        "事业单位无需提供完税证明（五(七)：非事业单位提供）。",
        "Not applicable: public institutions give no tax payment certificate.",
    )


@wording("MAT-TAX.submitted")
def _tax_submitted(*, year: str) -> tuple[str, str]:
    return f"已提交 {year} 年度完税证明。", f"The tax payment certificate for {year} was submitted."


@wording("MAT-TAX.absent")
def _tax_absent(*, year: str) -> tuple[str, str]:
    return (
        f"未提交上年度（{year} 年度）完税证明。",
        f"No tax payment certificate for last year ({year}) was submitted.",
    )


@wording("MAT-ETHICS.not_involved")
def _ethics_not_involved() -> tuple[str, str]:
    return (
        "项目不涉及科技伦理或科技安全，无需提供伦理审查批件。",
        "Not applicable: the project involves no ethics or safety matters.",
    )


@wording("MAT-ETHICS.submitted")
def _ethics_submitted() -> tuple[str, str]:
    return (
        "项目涉及科技伦理或科技安全，已提交伦理审查批准或备案文件。",
        "The project involves ethics or safety matters and the approval was submitted.",
    )


@wording("MAT-ETHICS.absent")
def _ethics_absent() -> tuple[str, str]:
    return (
        "项目涉及科技伦理或科技安全，未提交伦理审查批准或备案文件。",
        "The project involves ethics or safety matters but no approval or filing was submitted.",
    )


@wording("MAT-AUDIT-QR.no_report")
def _qr_no_report() -> tuple[str, str]:
    return (
        "没有可核验二维验证码的财务审计报告（见 MAT-FINANCIAL）。",
        "There is no audit report with a QR verification code to check (see MAT-FINANCIAL).",
    )


@wording("MAT-AUDIT-QR.public_institution")
def _qr_public_institution() -> tuple[str, str]:
    return (
        "事业单位提供财务决算报表，无需核验审计报告二维验证码。",
        "Not applicable: a public institution gives final accounts, not an audit report.",
    )


@wording("MAT-AUDIT-QR.young_enterprise")
def _qr_young_enterprise() -> tuple[str, str]:
    return (
        "注册未满一年的企业以验资报告代替审计报告，无需核验二维验证码。",
        "Not applicable: a young enterprise gave a capital verification report instead.",
    )


@wording("MAT-AUDIT-QR.registered")
def _qr_registered(*, qr: str, year: str) -> tuple[str, str]:
    return (
        f"审计报告二维验证码 {qr} 已在注册会计师行业统一监管平台备案。",
        f"QR code {qr} is registered with the CPA supervision platform for FY{year}.",
    )


@wording("MAT-AUDIT-QR.not_registered")
def _qr_not_registered(*, qr: str, year: str) -> tuple[str, str]:
    return (
        f"审计报告二维验证码 {qr} 未在注册会计师行业统一监管平台备案为本单位 {year} 年度报告，不予采用。",
        f"QR code {qr} is not registered with the CPA supervision platform for this "
        f"applicant and FY{year}; the report cannot be used.",
    )


@wording("MAT-AUDIT-QR.pending")
def _qr_pending(*, qr: str) -> tuple[str, str]:
    return (
        f"正在向注册会计师行业统一监管平台核验二维验证码 {qr}，平台尚未应答。",
        f"Waiting for the CPA supervision platform to answer about QR code {qr}.",
    )


@wording("MAT-AUDIT-QR.unanswered")
def _qr_unanswered(*, since: str, attempts: str) -> tuple[str, str]:
    """The platform did not answer `attempts` queries since `since`: the code goes to review."""
    return (
        f"注册会计师行业统一监管平台自 {since} 起经 {attempts} 次查询均未应答，"
        "审计报告二维验证码无法核验，转人工复核。",
        f"The CPA supervision platform did not answer {attempts} queries "
        f"since {since}; the QR code could not be checked and goes to an operator.",
    )


@wording("MAT-PERSONNEL.pass")
def _personnel_pass() -> tuple[str, str]:
    return (
        "项目负责人及项目主要成员均提交学位或职称证书，并全职在深工作。",
        "The project lead and the key members are certified and work full time in Shenzhen.",
    )


def _person(person: str, uncertified: list[str], part_time: list[str]) -> tuple[str, str]:
    gaps: list[tuple[str, str]] = []
    if person in uncertified:
        gaps.append(("缺少学位或职称证书", "no degree or title certificate"))
    if person in part_time:
        gaps.append(("非全职在深工作", "not full time in Shenzhen"))
    return (
        f"{person}：" + "、".join(g[0] for g in gaps),
        f"{person}: " + " and ".join(g[1] for g in gaps),
    )


@wording("MAT-PERSONNEL.fail")
def _personnel_fail(
    *, lead: str, members: str, uncertified: str, part_time: str, qualified: str, required: str
) -> tuple[str, str]:
    """`lead`: the lead's id when the lead falls short, else empty; `members`: the key members
    who fall short, listed when fewer than `required` qualify; `uncertified`, `part_time`: who
    lacks a certificate, who does not work full time in Shenzhen."""
    no_certificate, not_full_time = codes(uncertified), codes(part_time)
    zh: list[str] = []
    en: list[str] = []
    if lead:
        lead_zh, lead_en = _person(lead, no_certificate, not_full_time)
        zh.append(f"项目负责人 {lead_zh}")
        en.append(f"project lead {lead_en}")
    if int(qualified) < int(required):
        zh.append(f"符合要求的项目主要成员 {qualified} 名，少于 {required} 名")
        en.append(f"{qualified} key member(s) qualify, fewer than {required}")
    for member in codes(members):
        member_zh, member_en = _person(member, no_certificate, not_full_time)
        zh.append(f"成员 {member_zh}")
        en.append(f"member {member_en}")
    return (
        "人员材料不符合要求：" + "；".join(zh) + "。",
        "Personnel materials fall short: " + "; ".join(en) + ".",
    )
