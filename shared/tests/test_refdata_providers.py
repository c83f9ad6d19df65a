"""`providers` reference data: admissions per batch and service item (三(二)注 包含新增服务事项),
ambiguous rows refused with the row named, plain rows kept as they were given."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from vouchers_shared.refdata import ITEM_LISTS, ProviderItem, table_problems

P1 = "91440304MA5K00001E"
P2 = "91440305MA5K000020"


def row(**changes: Any) -> dict[str, Any]:
    return {"uscc": P1, "name": "深圳市甲算力服务有限公司", "batch": 1, **changes}


def admission(batch: Any, *types: Any) -> dict[str, Any]:
    return {"batch": batch, "service_types": list(types)}


@pytest.mark.parametrize(
    ("admissions", "training", "inference"),
    [
        ([], 1, 1),
        ([admission(2, "inference")], 1, 2),
        ([admission(3, "training")], 3, 1),
        ([admission(3, "inference"), admission(2, "inference")], 1, 2),  # the earliest counts
    ],
)
def test_each_service_item_has_the_batch_that_first_admitted_it(
    admissions: list[dict[str, Any]], training: int, inference: int
) -> None:
    provider = ProviderItem.model_validate(row(admissions=admissions))
    assert (provider.batch_of("training"), provider.batch_of("inference")) == (training, inference)


BAD_ROWS: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown batch", row(batch=4), "[0].batch", "literal_error"),
    (
        "admission in an unknown batch",
        row(admissions=[admission(5, "inference")]),
        "[0].admissions[0].batch",
        "literal_error",
    ),
    (
        "admission of an unknown service type",
        row(admissions=[admission(2, "storage")]),
        "[0].admissions[0].service_types[0]",
        "literal_error",
    ),
    (
        "admission of no service type",
        row(admissions=[admission(2)]),
        "[0].admissions[0].service_types",
        "too_short",
    ),
    (
        "a service type named twice",
        row(admissions=[admission(2, "inference", "inference")]),
        "[0].admissions[0].service_types",
        "value_error",
    ),
    (
        "admission in the first batch",
        row(batch=2, admissions=[admission(2, "inference")]),
        "[0].admissions",
        "value_error",
    ),
    (
        "admission before the first batch",
        row(batch=2, admissions=[admission(1, "inference")]),
        "[0].admissions",
        "value_error",
    ),
    (
        "admissions leaving the first batch nothing",
        row(admissions=[admission(2, "inference"), admission(3, "training")]),
        "[0].admissions",
        "value_error",
    ),
    (
        "unknown key in an admission",
        row(admissions=[{**admission(2, "inference"), "window": "2025-04-07"}]),
        "[0].admissions[0].window",
        "extra_forbidden",
    ),
]


def field_path(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


@pytest.mark.parametrize(("problem", "bad", "field", "code"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_an_ambiguous_provider_row_is_refused_naming_the_row_and_field(
    problem: str, bad: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        ITEM_LISTS["providers"].validate_python([bad])
    assert (field, code) in [(field_path(e["loc"]), e["type"]) for e in refused.value.errors()]


def test_a_provider_listed_in_two_rows_is_refused_naming_both_rows() -> None:
    items = ITEM_LISTS["providers"].validate_python(
        [row(), row(uscc=P2, batch=2), row(batch=2, admissions=[admission(3, "inference")])]
    )
    [problem] = table_problems("providers", items)
    assert (problem.index, problem.field, problem.code) == (2, "uscc", "DUPLICATE_PROVIDER")
    assert P1 in problem.message
    assert "row 0" in problem.message


def test_distinct_providers_and_other_kinds_have_no_table_problem() -> None:
    items = ITEM_LISTS["providers"].validate_python([row(), row(uscc=P2, batch=2)])
    assert table_problems("providers", items) == []
    holdings = ITEM_LISTS["holdings"].validate_python(
        [{"holder_id": "h", "holder_kind": "person", "held_uscc": P1, "pct": "10"}] * 2
    )
    assert table_problems("holdings", holdings) == []


def test_rows_are_stored_as_given_with_or_without_admissions() -> None:
    plain, added = row(), row(uscc=P2, admissions=[admission(2, "inference")])
    stored = [i.model_dump(mode="json") for i in ITEM_LISTS["providers"].validate_python([plain, added])]
    assert stored == [plain, added]
