"""The public's objection form (九 社会公示及征求意见): what an objection holds, and the form as
filed from the notice page, read and checked field by field with messages for the page.

`ObjectionFields` is the one statement of what an objection may hold, for the JSON API and for
the form alike: the application objected to, the reason (2,000 characters at most, lines
allowed), a contact (200) and the objector's name or organisation (200; optional in the API,
asked for by the form), none blank, none with control or invisible characters.

The form arrives as `application/x-www-form-urlencoded` (a plain HTML form, no script needed);
`parse_form` reads it, `check` turns it into fields or into one message per field in error.
A hidden field (`website`) that people never see nor fill catches form-filling robots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal
from urllib.parse import parse_qsl

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from vouchers_shared.application import LongText, Text

FieldName = Literal["application_id", "objector", "contact", "reason"]
FIELDS: tuple[FieldName, ...] = ("application_id", "objector", "contact", "reason")
HONEYPOT = "website"
FORM_ERROR = "form"  # the key of an error about the whole form rather than one field
MAX_FORM_FIELDS = 16
MAX_LENGTHS: dict[FieldName, int] = {"application_id": 64, "objector": 200, "contact": 200, "reason": 2000}


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class ObjectionFields(BaseModel):
    """What an objection holds, as filed by the public over the API or the form."""

    model_config = ConfigDict(extra="forbid")

    application_id: str = Field(min_length=1, max_length=MAX_LENGTHS["application_id"])
    reason: Annotated[LongText, AfterValidator(_not_blank)] = Field(
        min_length=1, max_length=MAX_LENGTHS["reason"]
    )
    contact: Annotated[Text, AfterValidator(_not_blank)] = Field(
        min_length=1, max_length=MAX_LENGTHS["contact"]
    )
    objector: (
        Annotated[Text, AfterValidator(_not_blank), Field(min_length=1, max_length=MAX_LENGTHS["objector"])]
        | None
    ) = None


# Field: (label on the page, what to ask for when it is left empty)
LABELS: dict[FieldName, tuple[str, str]] = {
    "application_id": ("异议针对的申请", "请选择异议针对的申请"),
    "objector": ("姓名或单位名称", "请填写您的姓名或单位名称"),
    "contact": ("联系方式", "请填写可联系到您的电话或电子邮箱"),
    "reason": ("异议理由", "请填写异议理由"),
}


class FormUnreadable(ValueError):
    """The body is not a form this page sends: not UTF-8, too many fields, a field twice."""


@dataclass(frozen=True)
class ObjectionForm:
    """The form as entered (every field as typed, "" when left out) and what is wrong with it."""

    application_id: str = ""
    objector: str = ""
    contact: str = ""
    reason: str = ""
    honeypot: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, name: FieldName) -> str:
        return str(getattr(self, name))

    def with_errors(self, errors: dict[str, str]) -> ObjectionForm:
        return ObjectionForm(
            self.application_id, self.objector, self.contact, self.reason, self.honeypot, errors
        )


def parse_form(body: bytes) -> ObjectionForm:
    """The form from an `application/x-www-form-urlencoded` body; other fields are ignored.

    Line breaks in the reason are kept as `\\n` (browsers send `\\r\\n`), so that a reason
    counts as many characters here as in the text box it was typed in.
    """
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormUnreadable(str(exc)) from exc
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in (*FIELDS, HONEYPOT):
            if name in values:
                raise FormUnreadable(f"the field {name} is given twice")
            values[name] = value
    reason = values.get("reason", "").replace("\r\n", "\n")
    return ObjectionForm(
        application_id=values.get("application_id", ""),
        objector=values.get("objector", ""),
        contact=values.get("contact", ""),
        reason=reason,
        honeypot=values.get(HONEYPOT, ""),
    )


def check(form: ObjectionForm) -> ObjectionFields | ObjectionForm:
    """The fields of a form without fault, or the form with one message per field in error
    (and one about the whole form when its hidden field was filled in)."""
    if form.honeypot:
        return form.with_errors({FORM_ERROR: "提交未被受理：请勿填写标明“请留空”的隐藏栏目。"})
    errors: dict[str, str] = {name: LABELS[name][1] + "。" for name in FIELDS if not form.value(name).strip()}
    try:
        fields = ObjectionFields(
            application_id=form.application_id,
            objector=form.objector or None,
            contact=form.contact,
            reason=form.reason,
        )
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0])
            if name in FIELDS and name not in errors:
                errors[name] = _message(name, error["type"], form)
    if errors:
        return form.with_errors(errors)
    return fields


def _message(name: FieldName, kind: str, form: ObjectionForm) -> str:
    label = LABELS[name][0]
    if kind in ("string_too_long", "too_long"):
        return f"{label}最多 {MAX_LENGTHS[name]} 个字符，现有 {len(form.value(name))} 个，请删减。"
    if kind == "value_error":
        return f"{label}含有不可见字符或控制字符，请删去后再提交。"
    return f"{label}填写有误，请检查。"
