"""The event contracts: each event type, the topics it travels on and its payload model.

Their JSON schemas (serialization mode: what producers put on the wire) are committed under
`shared/schemas/<stream>/<event type>.<topic version>.json`, for example
`shared/schemas/applications/application.submitted.v1.json`.

    python -m vouchers_shared.schemas --write   # regenerate (make schemas)
    python -m vouchers_shared.schemas --check   # exit 1 if a schema is missing, stale or incompatible
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from vouchers_shared import topics
from vouchers_shared.events import (
    ApplicationSubmitted,
    CaseDecided,
    CoiAssessed,
    EligibilityAssessed,
    NoticePublished,
    ObjectionRaised,
    ObjectionResolved,
    ReviewPassed,
    VerificationCompleted,
    VoucherApproved,
)
from vouchers_shared.refdata import Snapshot
from vouchers_shared.schema_compat import incompatibilities

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class EventContract:
    """One event type: its payload model and the topics (all of one stream and version) it is on."""

    event_type: str
    topics: tuple[str, ...]
    model: type[BaseModel]

    @property
    def stream(self) -> str:
        """`applications` for `vouchers.applications.v1`, `refdata` for `vouchers.refdata.<kind>.v1`."""
        return self.topics[0].split(".")[1]

    @property
    def version(self) -> str:
        return self.topics[0].rsplit(".", 1)[1]

    @property
    def path(self) -> str:
        """Where its schema lives, relative to the schema directory."""
        return f"{self.stream}/{self.event_type}.{self.version}.json"

    def schema(self) -> dict[str, Any]:
        """The payload's JSON schema as the producers write it, with where it travels."""
        schema = open_objects(self.model.model_json_schema(mode="serialization"))
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": self.path,
            "x-cloudevents-type": self.event_type,
            "x-kafka-topics": list(self.topics),
            **schema,
        }


def open_objects(schema: Any) -> Any:
    """`schema` with no object closed to unknown fields. Consumers read events with the fields
    they do not know ignored at every level (`vouchers_shared.events.tolerant`), so inside a vN
    a producer may add an optional field anywhere, in the application an event embeds too,
    though intake refuses unknown fields in what it is sent over HTTP (docs/openapi)."""
    if isinstance(schema, dict):
        return {
            key: open_objects(value)
            for key, value in schema.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(schema, list):
        return [open_objects(item) for item in schema]
    return schema


CONTRACTS: tuple[EventContract, ...] = (
    EventContract(topics.APPLICATION_SUBMITTED, (topics.APPLICATIONS,), ApplicationSubmitted),
    EventContract(topics.COI_ASSESSED, (topics.COI,), CoiAssessed),
    EventContract(topics.ELIGIBILITY_ASSESSED, (topics.ELIGIBILITY,), EligibilityAssessed),
    EventContract(topics.VERIFICATION_COMPLETED, (topics.VERIFICATION,), VerificationCompleted),
    EventContract(topics.CASE_DECIDED, (topics.DECISIONS,), CaseDecided),
    EventContract(topics.REVIEW_PASSED, (topics.DECISIONS,), ReviewPassed),
    EventContract(topics.VOUCHER_APPROVED, (topics.DECISIONS,), VoucherApproved),
    EventContract(topics.NOTICE_PUBLISHED, (topics.NOTICES,), NoticePublished),
    EventContract(topics.OBJECTION_RAISED, (topics.NOTICES,), ObjectionRaised),
    EventContract(topics.OBJECTION_RESOLVED, (topics.NOTICES,), ObjectionResolved),
    EventContract(topics.REFDATA_LOADED, topics.REFDATA_TOPICS, Snapshot),
)


def contracts() -> tuple[EventContract, ...]:
    return CONTRACTS


def event_models() -> dict[str, type[BaseModel]]:
    """Every event type and the pydantic model of its payload."""
    return {contract.event_type: contract.model for contract in CONTRACTS}


def render(schema: dict[str, Any]) -> str:
    """The committed form: two-space JSON, UTF-8 text kept as is, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def committed_schema(contract: EventContract, directory: Path = SCHEMA_DIR) -> dict[str, Any] | None:
    path = directory / contract.path
    if not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


class IncompatibleChange(Exception):
    """A model changed in a way its topic version does not allow: that needs a new vN."""


def write_schemas(directory: Path = SCHEMA_DIR, *, force: bool = False) -> list[Path]:
    """Write every contract's current schema; returns the files whose content changed.

    Refuses (before writing anything) to replace a committed schema by an incompatible one
    unless `force`d, as when a new topic version starts.
    """
    breaking = breaking_changes(directory)
    if breaking and not force:
        raise IncompatibleChange("\n".join(breaking))
    changed = []
    for contract in CONTRACTS:
        path = directory / contract.path
        text = render(contract.schema())
        if not path.is_file() or path.read_text("utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            changed.append(path)
    return changed


def stray_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Committed schema files no contract claims (an event type removed or renamed)."""
    known = {contract.path for contract in CONTRACTS}
    return sorted(
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*.json")
        if p.relative_to(directory).as_posix() not in known
    )


def breaking_changes(directory: Path = SCHEMA_DIR) -> list[str]:
    """What the models changed against their committed schemas that their vN does not allow."""
    problems = []
    for contract in CONTRACTS:
        committed = committed_schema(contract, directory)
        if committed is not None:
            problems += [
                f"{contract.path}: incompatible inside {contract.version}: {problem}"
                for problem in incompatibilities(committed, contract.schema())
            ]
    return problems


def check(directory: Path = SCHEMA_DIR) -> list[str]:
    """Every reason the committed schemas and the models disagree; empty when they agree."""
    problems = [f"{path}: committed, but no event contract has it" for path in stray_schemas(directory)]
    problems += breaking_changes(directory)
    for contract in CONTRACTS:
        committed = committed_schema(contract, directory)
        if committed is None:
            problems.append(f"{contract.path}: not committed (run `make schemas`)")
        elif render(committed) != render(contract.schema()) and not incompatibilities(
            committed, contract.schema()
        ):
            problems.append(f"{contract.path}: compatible change not committed (run `make schemas`)")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vouchers_shared.schemas", description="Write or check the committed event schemas."
    )
    parser.add_argument("--write", action="store_true", help="regenerate the schema files")
    parser.add_argument("--check", action="store_true", help="compare them with the models (default)")
    parser.add_argument(
        "--force", action="store_true", help="--write even over an incompatible change (a new topic version)"
    )
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help=f"default: {SCHEMA_DIR}")
    args = parser.parse_args(argv)
    if args.write:
        try:
            changed = write_schemas(args.dir, force=args.force)
        except IncompatibleChange as exc:
            print(
                f"{exc}\nnot written: inside a topic version only optional fields may be added",
                file=sys.stderr,
            )
            return 1
        for path in changed:
            print(f"wrote {path}")
        return 0
    problems = check(args.dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
