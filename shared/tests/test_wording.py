"""Findings worded by key: what travels, what readers render, and findings stored with texts."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from vouchers_shared.disclosure import PeopleMask
from vouchers_shared.findings import EvidenceEdge, EvidencePath, Finding, shown, worded
from vouchers_shared.wording import WORDED, registered, render, say
from vouchers_shared.wording.registry import _WORDINGS

CJK = re.compile(r"[\u4e00-\u9fff]")


CODES = {  # arguments that are codes, each a code of its domain; any other figure is digits
    "service": "training",
    "kind": "sft",
    "doc": "business_license",
    "marks": "signature,stamp",
    "missing": "stamp",
    "problems": "kind,amount",
    "reasons": "no_qr:2025,capital",
    "lists": "overdue_refund",
    "years": "2025,2024",
}


def sample_args(key: str) -> dict[str, str]:
    """An argument for every parameter of a wording."""
    return {name: CODES.get(name, "1") for name in inspect.signature(_WORDINGS[key]).parameters}


@pytest.mark.parametrize("key", sorted(registered()))
def test_every_wording_renders_chinese_and_english(key: str) -> None:
    zh, en = render(key, sample_args(key))

    assert CJK.search(zh), zh
    assert en
    assert not CJK.search(en), en
    assert key not in zh
    assert key not in en


def test_the_rules_of_every_check_are_worded() -> None:
    prefixes = {key.split("-", 1)[0] for key in registered()}

    assert prefixes == {"ELIG", "CON", "AMT", "COI", "MAT"}


def test_a_key_this_reader_does_not_know_renders_as_the_key_with_its_figures() -> None:
    zh, en = render("CON-NEW-RULE.fail", {"amount": "12.00", "batch": "3"})

    assert zh == en == "CON-NEW-RULE.fail（amount=12.00; batch=3）"


def test_arguments_that_do_not_fit_the_wording_render_as_the_key_with_its_figures() -> None:
    zh, _ = render("COI-SAME-ENTITY.same", {"provider": "x"})

    assert zh == "COI-SAME-ENTITY.same（provider=x）"


def test_saying_an_unregistered_key_is_refused() -> None:
    with pytest.raises(KeyError, match="NO-SUCH-RULE"):
        say("NO-SUCH-RULE.fail")


def finding(**changes: Any) -> Finding:
    fields: dict[str, Any] = {
        "rule": "COI-SAME-ENTITY",
        "clause": "三(一)2",
        "result": "fail",
        "contract_no": "HT-1",
        "observed": "91440300MA5XXXXXXX",
        **worded(say("COI-SAME-ENTITY.same", uscc="91440300MA5XXXXXXX")),
    }
    return Finding.model_validate({**fields, **changes})


def test_a_finding_travels_with_its_key_and_figures_not_its_texts() -> None:
    data = finding().model_dump(mode="json")

    # no limit, evidence or `passed` (the result says it): what has no value is not written
    assert set(data) == {"rule", "clause", "result", "contract_no", "observed", "text", "args"}
    assert data["text"] == "COI-SAME-ENTITY.same"
    assert data["args"] == {"uscc": "91440300MA5XXXXXXX"}
    assert "message" not in data
    assert "message_en" not in data
    assert not CJK.search(str(data["args"]))


def test_a_reader_renders_the_texts_in_both_languages() -> None:
    f = finding()

    assert f.message.startswith("服务机构即申请单位本身（91440300MA5XXXXXXX）")
    assert f.message_en.startswith("the provider is the applicant itself (91440300MA5XXXXXXX)")
    answer = shown(f.model_dump(mode="json"))
    assert answer["message"] == f.message
    assert answer["message_en"] == f.message_en
    assert "text" not in answer
    assert "args" not in answer


def test_a_finding_stored_with_its_texts_is_read_with_them() -> None:
    stored = {
        "rule": "MAT-TAX",
        "clause": "五(七)",
        "result": "fail",
        "message": "未提交",
        "message_en": "none",
    }

    f = Finding.model_validate(stored)

    assert (f.text, f.message, f.message_en) == (WORDED, "未提交", "none")
    assert shown(stored) == {
        **stored,
        "passed": False,
        "contract_no": None,
        "observed": None,
        "limit": None,
        "evidence": [],
    }
    assert Finding.model_validate(f.model_dump(mode="json")) == f


def test_the_applicant_reads_other_people_masked_in_the_rendered_texts() -> None:
    edge = EvidenceEdge(source="P-STRANGER", target="9144", kind="director", origin="refdata:o@1")
    path = EvidencePath(relation="shared_officer", summary="applicant ←director— P-STRANGER", edges=[edge])
    text = say("COI-RELATED-PARTY.related", name="算力公司", uscc="9144", paths=path.summary, more="0")
    f = Finding(rule="COI-RELATED-PARTY", clause="三(一)2", result="fail", evidence=[path], **worded(text))
    assert "P-STRANGER" in f.message  # operators read it whole

    masked = PeopleMask(own=()).finding(f.model_dump(mode="json"))

    assert "P-STRANGER" not in str(masked)
    assert "自然人1" in masked["message"]
    assert "person-1" in masked["message_en"]
    assert "args" not in masked
