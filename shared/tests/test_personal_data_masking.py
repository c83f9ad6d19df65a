"""What logs and dead-letter headers may not carry: mobiles however written, resident ids of
either generation (a mistyped one too), e-mails, and the input quoted by validation errors."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError
from stdnum.cn import ric
from stdnum.cn import uscc as stdnum_uscc
from vouchers_shared.application import Application
from vouchers_shared.observability.logging import MASK, is_resident_id_number, mask_text, mask_value


def resident_id(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def wrong_check(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


def uscc(body: str) -> str:
    return body + stdnum_uscc.calc_check_digit(body)


VALID_ID = resident_id("11010519491231002")  # 11010519491231002X
SHENZHEN_ID = resident_id("44030519900307441")
LONGHUA_2020 = resident_id("44030920200101123")
HONG_KONG_PERMIT = resident_id("81000019900101123")  # a residence permit: before the region's code

SCRUBBED = {
    "a mobile": ("call 13987654321 now", "13987654321"),
    "a mobile with dashes": ("call 139-8765-4321 now", "139-8765-4321"),
    "a mobile with spaces": ("call 139 8765 4321 now", "139 8765 4321"),
    "a mobile with dots": ("call 139.8765.4321", "139.8765.4321"),
    "a mobile with +86": ("call +86 13987654321", "13987654321"),
    "a mobile with +86 and spaces": ("call +86 139 8765 4321", "139 8765 4321"),
    "a mobile with +86-": ("call +86-139-8765-4321", "139-8765-4321"),
    "a mobile with 0086": ("call 008613987654321", "13987654321"),
    "a mobile with (+86)": ("call (+86)13987654321", "13987654321"),
    "a mobile at the end of a sentence": ("手机：13987654321。", "13987654321"),
    "an 18-digit id": (f"id {VALID_ID}", VALID_ID),
    "an 18-digit id in lower case": (f"id {VALID_ID.lower()}", VALID_ID.lower()),
    "an 18-digit id with a wrong check digit": (f"id {wrong_check(SHENZHEN_ID)}", wrong_check(SHENZHEN_ID)),
    "a Shenzhen id": (f"身份证号{SHENZHEN_ID}。", SHENZHEN_ID),
    "an id from a district created since": (f"id {LONGHUA_2020}", LONGHUA_2020),
    "a Hong Kong residence permit number": (f"id {HONG_KONG_PERMIT}", HONG_KONG_PERMIT),
    "a 15-digit id": ("id 110105491231002 on file", "110105491231002"),
    "a 15-digit Shenzhen id": ("id 440305900307441", "440305900307441"),
    "an e-mail": ("write to sima.q7@probe.example.cn", "sima.q7@probe.example.cn"),
    "a mobile after an application id": ("SZV2026-251AC1398765432A 13987654321", "13987654321"),
    "a mobile glued to an application id": ("SZV2026-251AC1398765432A13987654321", "13987654321"),
    "a mobile after an event id": ("0f3e2a1b-7c4d-4e5f-8a9b-c1398765432a: 13987654321", "13987654321"),
    "a validation error's input": (
        "1 validation error for Contact\nmobile\n  String should match pattern "
        "[type=string_pattern_mismatch, input_value='自称张三 zhang@x.cn', input_type=str]",
        "自称张三",
    ),
    "a validation error's dict input over lines": (
        "applicant\n  Field required [type=missing, input_value={'name': '上官探针',\n"
        " 'person_id': 'p-1'}, input_type=dict]",
        "上官探针",
    ),
}
KEPT = {
    "a USCC": uscc("91440305MA5K00001"),
    "an all-digit USCC": uscc("91440300192201015"),
    "a public institution's USCC": uscc("12440300455758030"),
    "an amount": "1200000.00",
    "a millisecond timestamp": "1716190000123",
    "a 16-digit number": "1234567890123456",
    "a 19-digit number": "1101051949123100212",
    "18 digits with no date in them": "110105194913310021",
    "18 digits with no place in them": "990105194912310021",
    "an application id": "SZV2026-3F9A2C",
    "an application id whose hex holds a mobile's digits": "SZV2026-251AC13987654321",
    "an event id whose hex holds a mobile's digits": "0f3e2a1b-7c4d-4e5f-8a9b-c13987654321",
    "an application id in a path": "/v1/applications/SZV2026-251AC13987654321/status",
    "a phone-like number too short": "1398765432",
    "a landline": "0755-8888 6666",
}


@pytest.mark.parametrize(("text", "secret"), SCRUBBED.values(), ids=SCRUBBED.keys())
def test_personal_data_is_scrubbed_from_text(text: str, secret: str) -> None:
    masked = mask_text(text)
    assert secret not in masked
    assert masked != text


@pytest.mark.parametrize("text", KEPT.values(), ids=KEPT.keys())
def test_what_is_not_personal_data_stays_readable(text: str) -> None:
    assert mask_text(f"value {text} here") == f"value {text} here"


@pytest.mark.parametrize(
    ("number", "is_id"),
    [
        (VALID_ID, True),
        (wrong_check(VALID_ID), True),
        (SHENZHEN_ID, True),
        (LONGHUA_2020, True),
        ("110105491231002", True),
        (uscc("91440305MA5K00001"), False),
        (uscc("91440300192201015"), False),
        ("110105194913310021", False),
        ("11010519491231002", False),
        ("11010519491231002Y", False),
    ],
)
def test_resident_ids_are_recognised_by_their_place_and_date(number: str, is_id: bool) -> None:
    assert is_resident_id_number(number) is is_id


def test_a_real_validation_error_keeps_its_message_but_not_its_input() -> None:
    class Person(BaseModel):
        mobile: int

    with pytest.raises(ValidationError) as caught:
        Person.model_validate({"mobile": "上官探针 13987654321"})

    masked = mask_text(str(caught.value))
    assert "上官探针" not in masked
    assert "13987654321" not in masked
    assert f"input_value={MASK}" in masked
    assert "mobile" in masked  # where the problem is stays readable


def test_an_invalid_application_leaves_nothing_personal_in_its_error() -> None:
    filed = {
        "applicant": {
            "name": "深圳市某公司",
            "contact": {"name": "司马测遥", "email": "sima@x.cn", "mobile": "139-8765-4321"},
        }
    }
    with pytest.raises(ValidationError) as caught:
        Application.model_validate(filed)

    masked = mask_text(str(caught.value))
    for secret in ("司马测遥", "sima@x.cn", "139-8765-4321"):
        assert secret not in masked
    errors = mask_value(caught.value.errors())
    assert all(e["input"] == MASK for e in errors)
