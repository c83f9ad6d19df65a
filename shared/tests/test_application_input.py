"""What an application may hold: visible text only, real booleans and integers, ASCII digits."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from vouchers_shared.application import Application

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "sample" / "applications" / "approvable.json"


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text("utf-8"))["application"]
    return copy.deepcopy(data)


def with_(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    app = sample()
    change(app)
    return app


def test_the_sample_is_valid() -> None:
    Application.model_validate(sample())


@pytest.mark.parametrize(
    ("name", "char"),
    [
        ("RTL override", "\u202e"),
        ("RTL mark", "\u200f"),
        ("bidi isolate", "\u2066"),
        ("zero-width joiner", "\u200d"),
        ("NUL", "\x00"),
        ("private use", "\ue000"),
        ("byte order mark", "\ufeff"),
    ],
)
def test_invisible_characters_in_text_are_refused(name: str, char: str) -> None:
    for field in ("name", "title"):

        def change(app: dict[str, Any], field: str = field) -> None:
            (app["applicant"] if field == "name" else app["project"])[field] = f"深圳{char}公司"

        with pytest.raises(ValidationError, match=f"U\\+{ord(char):04X}"):
            Application.model_validate(with_(change))


def test_a_lone_surrogate_is_refused() -> None:
    def change(app: dict[str, Any]) -> None:
        app["applicant"]["name"] = "深圳\ud800公司"

    with pytest.raises(ValidationError, match="unicode"):
        Application.model_validate(with_(change))


def test_a_description_may_run_over_lines_but_a_name_may_not() -> None:
    def describe(app: dict[str, Any]) -> None:
        app["contracts"][0]["description"] = "第一行\n第二行\t制表"

    Application.model_validate(with_(describe))

    def name(app: dict[str, Any]) -> None:
        app["applicant"]["name"] = "深圳\n公司"

    with pytest.raises(ValidationError, match="U\\+000A"):
        Application.model_validate(with_(name))


def test_visible_unusual_text_is_kept_as_filed() -> None:
    def change(app: dict[str, Any]) -> None:
        app["project"]["title"] = "大模型训练 𝔸𝕀 🚀 '; DROP TABLE x; --"

    assert Application.model_validate(with_(change)).project.title == "大模型训练 𝔸𝕀 🚀 '; DROP TABLE x; --"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("program_year",), "2026"),
        (("declarations", "truthful"), "yes"),
        (("declarations", "self_filed"), 1),
        (("applicant", "public_institution"), "false"),
    ],
)
def test_numbers_and_booleans_are_not_read_out_of_strings(path: tuple[str, ...], value: Any) -> None:
    def change(app: dict[str, Any]) -> None:
        node = app
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    with pytest.raises(ValidationError):
        Application.model_validate(with_(change))


@pytest.mark.parametrize("amount", ["１２００００００.００", "١٢٠٠٠٠٠.٠٠", "1200000.０0"])
def test_amounts_take_ascii_digits_only(amount: str) -> None:
    def change(app: dict[str, Any]) -> None:
        app["contracts"][0]["amount_cny"] = amount

    with pytest.raises(ValidationError, match="decimal string"):
        Application.model_validate(with_(change))


def test_the_fy2025_audit_declaration_defaults_to_not_made_and_is_written_out_only_when_made() -> None:
    plain = Application.model_validate(sample())

    def declare(app: dict[str, Any]) -> None:
        app["declarations"]["fy2025_audit_incomplete"] = True

    declared = Application.model_validate(with_(declare))

    assert plain.declarations.fy2025_audit_incomplete is False
    assert "fy2025_audit_incomplete" not in plain.model_dump_json()  # the message as before the field
    assert declared.declarations.fy2025_audit_incomplete is True
    assert Application.model_validate_json(declared.model_dump_json()) == declared


def test_the_fy2025_audit_declaration_is_a_real_boolean() -> None:
    def declare(app: dict[str, Any]) -> None:
        app["declarations"]["fy2025_audit_incomplete"] = "true"

    with pytest.raises(ValidationError):
        Application.model_validate(with_(declare))
