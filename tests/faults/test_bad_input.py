"""A corpus of bad input for POST /v1/applications: each is answered with a clear 4xx, and
nothing is stored or published."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.fault_rig import FaultRig
from tests.support.samples import application_for, make_uscc

pytestmark = [pytest.mark.integration]
APPLICANT = make_uscc(9_200_000)
Mutation = Callable[[dict[str, Any]], None]


def setting(path: str, value: Any) -> Mutation:
    """Set the field at a dotted path ("contracts.0.amount_cny") to `value`."""
    *parents, last = path.split(".")

    def mutate(app: dict[str, Any]) -> None:
        node: Any = app
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return mutate


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


MUTATIONS: dict[str, Mutation] = {
    # wrong types
    "amount as a JSON number": setting("contracts.0.amount_cny", 1200000.00),
    "amount as a boolean": setting("contracts.0.amount_cny", True),
    "program year as a string": setting("program_year", "2026"),
    "contracts as an object": setting("contracts", {"0": {}}),
    "applicant as a list": setting("applicant", []),
    "declarations as null": setting("declarations", None),
    # extreme decimals
    "amount 1e400": setting("contracts.0.amount_cny", "1e400"),
    "amount with fourteen integer digits": setting("contracts.0.amount_cny", "99999999999999.99"),
    "amount -0.00": setting("contracts.0.amount_cny", "-0.00"),
    "amount with three places": setting("contracts.0.amount_cny", "0.001"),
    "amount NaN": setting("contracts.0.amount_cny", "NaN"),
    "amount Infinity": setting("contracts.0.amount_cny", "Infinity"),
    "shareholding over 100": setting(
        "applicant.shareholders", [{"holder_id": "h-1", "kind": "person", "name": "张三", "pct": "100.0001"}]
    ),
    "other funding as exponent": setting("contracts.0.other_public_funding_cny", "1E+2"),
    # unicode edge cases
    "RTL override in the name": setting("applicant.name", "\u202e司公限有技科"),
    "bidi isolate in the project title": setting("project.title", "训练\u2066x\u2069"),
    "zero-width joiner in the USCC": setting("applicant.uscc", APPLICANT[:9] + "\u200d" + APPLICANT[9:]),
    "lone surrogate in the name": setting("applicant.name", "\ud800深圳"),
    "lone low surrogate in a contract number": setting("contracts.0.contract_no", "HT-\udfff"),
    "NUL in the name": setting("applicant.name", "深圳\x00公司"),
    "4-byte emoji in the USCC": setting("applicant.uscc", "9144030\U0001f600MA5K0001"),
    "4-byte emoji as the email": setting("applicant.contact.email", "\U0001f600"),
    "full-width digits in the amount": setting("contracts.0.amount_cny", "１２００００００.００"),
    # injection-looking input
    "operator object as the name": setting("applicant.name", {"$gt": ""}),
    "operator object as the USCC": setting("applicant.uscc", {"$ne": None}),
    "SQL in the USCC": setting("applicant.uscc", "'; DROP TABLE applications; --"),
    "operator key in the body": setting("$where", "sleep(1000)"),
    "operator key in the applicant": setting("applicant.$set", {"name": "x"}),
    "SQL in the amount": setting("contracts.0.amount_cny", "1; DROP TABLE x"),
    # sizes
    "ten thousand contracts": setting("contracts", [{"contract_no": str(i)} for i in range(10_000)]),
    "three hundred thousand materials": setting("materials", [0] * 300_000),
    "officer list of ten thousand": setting(
        "applicant.officers", [{"person_id": f"p{i}", "name": "x", "role": "director"} for i in range(10_000)]
    ),
}


def replacing(field: str, raw: str) -> bytes:
    """The valid application with `field`'s first value replaced by raw JSON text."""
    text = json.dumps(application_for(APPLICANT))
    start = text.index(f'"{field}": ') + len(field) + 4
    end = start + len(json.dumps(json.loads(text[start:].split(",", 1)[0])))
    return (text[:start] + raw + text[end:]).encode()


RAW: dict[str, bytes] = {
    "nested 10,000 levels deep": nested(10_000).encode(),
    "nested 10,000 levels inside a field": replacing("program_year", nested(10_000)),
    "a JSON number for the body": b"1e400",
    "NaN literal as the amount": replacing("amount_cny", "NaN"),
    "Infinity literal as the year": replacing("program_year", "Infinity"),
    "-Infinity literal as the amount": replacing("amount_cny", "-Infinity"),
    "not UTF-8": "申请".encode("gb18030") + b"\xff\xfe",
    "truncated JSON": json.dumps(application_for(APPLICANT)).encode()[:500],
    "an empty body": b"",
    "a huge array": b"[" + b"0," * 600_000 + b"0]",
    "over a mebibyte": json.dumps({**application_for(APPLICANT), "pad": "x" * (1 << 20)}).encode(),
}


def bodies() -> list[tuple[str, bytes]]:
    out = list(RAW.items())
    for name, mutate in MUTATIONS.items():
        app = copy.deepcopy(application_for(APPLICANT))
        mutate(app)
        out.append((name, json.dumps(app, ensure_ascii=True).encode()))
    return out


def test_the_corpus_changes_exactly_the_field_it_names() -> None:
    assert b'"program_year": Infinity, ' in RAW["Infinity literal as the year"]
    assert b'"amount_cny": NaN, ' in RAW["NaN literal as the amount"]
    valid = json.loads(replacing("program_year", "2026"))
    assert valid == application_for(APPLICANT)


def test_every_bad_input_is_a_clear_4xx_and_nothing_is_stored(rig: FaultRig) -> None:
    token = rig.suite.tokens.issue("submitter", APPLICANT)
    answers: dict[str, httpx.Response] = {}
    with httpx.Client(
        base_url=rig.suite.urls["intake"],
        timeout=60.0,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    ) as client:
        for name, body in bodies():
            answers[name] = client.post(
                "/v1/applications", content=body, headers={"Idempotency-Key": f"bad-{len(answers)}"}
            )
    unclear = {
        name: (r.status_code, r.text[:300])
        for name, r in answers.items()
        if not 400 <= r.status_code < 500 or not _clear(r)
    }
    assert unclear == {}
    with rig.suite.store() as store:
        stored = store["vouchers_intake"]["applications"].count_documents({"applicant_uscc": APPLICANT})
        keys = store["vouchers_intake"]["idempotency_keys"].count_documents(
            {"_id": {"$regex": f"^{APPLICANT}:bad-"}}
        )
    assert (stored, keys) == (0, 0)
    rig.watch.catch_up()
    assert rig.watch.subjects_of(APPLICANT) == set()


def _clear(response: httpx.Response) -> bool:
    """A problem (application/problem+json) with a code and something said; a 422 lists every
    problem in `errors` ({"field", "code", "message"})."""
    try:
        body = response.json()
    except ValueError:
        return False
    if response.headers.get("content-type") != "application/problem+json" or not isinstance(body, dict):
        return False
    if not (body.get("code") and body.get("detail") and body.get("status") == response.status_code):
        return False
    errors = body.get("errors")
    return response.status_code != 422 or (
        isinstance(errors, list)
        and bool(errors)
        and all(isinstance(e, dict) and e.get("code") and e.get("message") for e in errors)
    )
