"""The committed event schemas against the models, and the compatibility rule itself."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from pydantic import Field
from vouchers_shared import topics
from vouchers_shared.events import CaseDecided
from vouchers_shared.schema_compat import incompatibilities
from vouchers_shared.schemas import (
    SCHEMA_DIR,
    IncompatibleChange,
    check,
    committed_schema,
    contracts,
    event_models,
    main,
    render,
    write_schemas,
)

ALL_EVENT_TYPES = {
    topics.APPLICATION_SUBMITTED,
    topics.COI_ASSESSED,
    topics.ELIGIBILITY_ASSESSED,
    topics.VERIFICATION_COMPLETED,
    topics.CASE_DECIDED,
    topics.REVIEW_PASSED,
    topics.VOUCHER_APPROVED,
    topics.NOTICE_PUBLISHED,
    topics.OBJECTION_RAISED,
    topics.OBJECTION_RESOLVED,
    topics.REFDATA_LOADED,
}


def committed(event_type: str) -> dict[str, Any]:
    (contract,) = [c for c in contracts() if c.event_type == event_type]
    schema = committed_schema(contract)
    assert schema is not None, f"{contract.path} is not committed"
    return schema


# --- the committed schemas ---------------------------------------------------------------


def test_every_event_type_has_one_contract_on_the_suites_topics() -> None:
    assert set(event_models()) == ALL_EVENT_TYPES
    assert len(contracts()) == len(ALL_EVENT_TYPES)
    for contract in contracts():
        assert set(contract.topics) <= set(topics.ALL_TOPICS), contract.event_type
        assert {t.rsplit(".", 1)[1] for t in contract.topics} == {contract.version}


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.event_type)
def test_model_is_compatible_with_its_committed_schema(contract: Any) -> None:
    schema = committed_schema(contract)
    assert schema is not None, f"{contract.path} is missing: run `make schemas` and commit it"

    problems = incompatibilities(schema, contract.schema())

    assert problems == [], (
        f"{contract.event_type} changed in a way {contract.version} does not allow; keep the field "
        f"optional, or publish a {contract.version[0]}{int(contract.version[1:]) + 1} topic:\n"
        + "\n".join(problems)
    )


def test_committed_schemas_are_current_and_none_is_stray() -> None:
    assert check() == [], "run `make schemas` and commit shared/schemas"


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.event_type)
def test_committed_schema_is_a_valid_json_schema(contract: Any) -> None:
    schema = committed(contract.event_type)

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["x-cloudevents-type"] == contract.event_type
    assert (SCHEMA_DIR / contract.path).read_text("utf-8") == render(schema)


# --- the compatibility rule, on the committed case.decided schema -------------------------


class CaseDecidedWithReviewer(CaseDecided):
    reviewer: str


class CaseDecidedWithOptionalReviewer(CaseDecided):
    reviewer: str | None = Field(default=None, description="who reviewed, when a person did")


def test_adding_a_required_field_to_a_model_is_incompatible() -> None:
    current = CaseDecidedWithReviewer.model_json_schema(mode="serialization")

    assert incompatibilities(committed(topics.CASE_DECIDED), current) == ["$.reviewer: new required field"]


def test_adding_a_required_field_to_the_committed_schema_is_incompatible() -> None:
    schema = committed(topics.CASE_DECIDED)
    changed = copy.deepcopy(schema)
    changed["properties"]["reviewer"] = {"type": "string"}
    changed["required"].append("reviewer")

    assert incompatibilities(schema, changed) == ["$.reviewer: new required field"]


def test_adding_an_optional_field_is_compatible() -> None:
    current = CaseDecidedWithOptionalReviewer.model_json_schema(mode="serialization")

    assert incompatibilities(committed(topics.CASE_DECIDED), current) == []


def test_titles_descriptions_and_examples_do_not_matter() -> None:
    schema = committed(topics.CASE_DECIDED)
    changed = copy.deepcopy(schema)
    changed["title"] = "Renamed"
    changed["properties"]["note"]["description"] = "a free text"
    changed["$defs"]["Finding"]["properties"]["rule"]["examples"] = ["ELIG-AGE"]

    assert incompatibilities(schema, changed) == []


def test_an_optional_field_becoming_required_is_incompatible() -> None:
    schema = committed(topics.CASE_DECIDED)
    changed = copy.deepcopy(schema)
    changed["required"].append("note")

    assert incompatibilities(schema, changed) == ["$.note: optional field became required"]


def test_a_required_field_becoming_optional_is_incompatible() -> None:
    # A producer may then leave it out, which a consumer of the committed schema refuses.
    schema = committed(topics.CASE_DECIDED)
    changed = copy.deepcopy(schema)
    changed["required"].remove("final")
    changed["$defs"]["Finding"]["required"].remove("text")

    assert incompatibilities(schema, changed) == [
        "$.final: required field became optional",
        "$.failed_rules[].text: required field became optional",
    ]


def test_removing_a_field_is_incompatible() -> None:
    schema = committed(topics.CASE_DECIDED)
    changed = copy.deepcopy(schema)
    del changed["properties"]["reasons"]

    assert incompatibilities(schema, changed) == ["$.reasons: field removed"]


def test_changing_a_type_is_incompatible() -> None:
    schema = committed(topics.CASE_DECIDED)
    changed = copy.deepcopy(schema)
    changed["properties"]["final"] = {"type": "string"}
    changed["properties"]["decided_at"]["format"] = "date"

    assert incompatibilities(schema, changed) == [
        "$.decided_at: type changed from string(date-time) to string(date)",
        "$.final: type changed from boolean to string",
    ]


def test_making_an_optional_value_non_nullable_is_incompatible() -> None:
    schema = committed(topics.CASE_DECIDED)
    changed = copy.deepcopy(schema)
    changed["properties"]["note"] = {"type": "string"}

    assert incompatibilities(schema, changed) == ["$.note: type changed from null | string to string"]


def test_narrowing_or_widening_an_enum_is_incompatible() -> None:
    schema = committed(topics.CASE_DECIDED)
    narrowed, widened = copy.deepcopy(schema), copy.deepcopy(schema)
    narrowed["properties"]["status"]["enum"].remove("needs_review")
    widened["properties"]["status"]["enum"].append("withdrawn")

    assert incompatibilities(schema, narrowed) == [
        '$.status: enum narrowed (no longer allows "needs_review")'
    ]
    assert incompatibilities(schema, widened) == [
        '$.status: enum widened (now allows "withdrawn", which consumers of the committed schema refuse)'
    ]


def test_a_change_inside_a_referenced_definition_is_found_where_it_is_used() -> None:
    schema = committed(topics.CASE_DECIDED)
    changed = copy.deepcopy(schema)
    edge = changed["$defs"]["EvidenceEdge"]
    edge["properties"]["weight"] = {"type": "number"}
    edge["required"].append("weight")

    assert incompatibilities(schema, changed) == [
        "$.failed_rules[].evidence[].edges[].weight: new required field"
    ]


def test_a_new_field_in_an_object_closed_to_unknown_fields_is_incompatible() -> None:
    # The events' own objects are all open (consumers ignore what they do not know); a schema
    # that closes one still gets the rule.
    schema = {
        "type": "object",
        "properties": {"contact": {"$ref": "#/$defs/Contact"}},
        "$defs": {
            "Contact": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"name": {"type": "string"}},
            }
        },
    }
    changed = copy.deepcopy(schema)
    changed["$defs"]["Contact"]["properties"]["wechat"] = {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "default": None,
    }

    assert incompatibilities(schema, changed) == [
        "$.contact.wechat: new field in an object closed to unknown fields "
        "(consumers of the committed schema refuse it)"
    ]


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.event_type)
def test_no_object_of_an_event_is_closed_to_unknown_fields(contract: Any) -> None:
    assert '"additionalProperties": false' not in json.dumps(committed(contract.event_type))


# --- regenerating ------------------------------------------------------------------------


@pytest.fixture
def schema_dir(tmp_path: Path) -> Path:
    write_schemas(tmp_path)
    return tmp_path


def drop_required(directory: Path, relative: str, field: str) -> Path:
    """Make the committed copy look as it did before the model gained required `field`."""
    path = directory / relative
    schema = json.loads(path.read_text("utf-8"))
    del schema["properties"][field]
    schema["required"].remove(field)
    path.write_text(render(schema), "utf-8")
    return path


def test_check_reports_a_required_field_the_committed_schema_lacks(schema_dir: Path) -> None:
    drop_required(schema_dir, "decisions/case.decided.v2.json", "final")

    assert check(schema_dir) == [
        "decisions/case.decided.v2.json: incompatible inside v2: $.final: new required field"
    ]
    assert main(["--check", "--dir", str(schema_dir)]) == 1


def test_write_refuses_an_incompatible_change_unless_forced(schema_dir: Path) -> None:
    path = drop_required(schema_dir, "decisions/case.decided.v2.json", "final")
    before = path.read_text("utf-8")

    with pytest.raises(IncompatibleChange):
        write_schemas(schema_dir)
    assert main(["--write", "--dir", str(schema_dir)]) == 1
    assert path.read_text("utf-8") == before

    assert main(["--write", "--force", "--dir", str(schema_dir)]) == 0
    assert check(schema_dir) == []


def test_write_takes_a_compatible_change(schema_dir: Path) -> None:
    path = schema_dir / "decisions/case.decided.v2.json"
    schema = json.loads(path.read_text("utf-8"))
    del schema["properties"]["note"]  # as if `note` were the optional field just added
    path.write_text(render(schema), "utf-8")
    assert check(schema_dir) == [
        "decisions/case.decided.v2.json: compatible change not committed (run `make schemas`)"
    ]

    assert write_schemas(schema_dir) == [path]
    assert check(schema_dir) == []


def test_a_schema_without_a_contract_is_reported(schema_dir: Path) -> None:
    (schema_dir / "decisions" / "case.withdrawn.v1.json").write_text("{}\n", "utf-8")

    assert check(schema_dir) == ["decisions/case.withdrawn.v1.json: committed, but no event contract has it"]
