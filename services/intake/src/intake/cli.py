"""`vouchers`: the operators' command line (tokens, reference data, dead-letter topics, upgrades).

An ordinary mistake (a file that is not there or not JSON, an argument that is not what it should
be, settings that do not hold) is said in one line on stderr, with exit status 2; Kafka not
answering, in one line with exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import structlog
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from vouchers_shared import topics
from vouchers_shared.auth import TokenService
from vouchers_shared.messaging.carry_over import carry_over
from vouchers_shared.messaging.dlq import Parked, parked, replay
from vouchers_shared.messaging.kafka import ensure_topics
from vouchers_shared.messaging.producer import StandalonePublisher
from vouchers_shared.observability.logging import mask_value
from vouchers_shared.refdata import ITEM_MODELS
from vouchers_shared.settings import CommonSettings
from vouchers_shared.types import is_uscc

from intake.refdata_loader import RefdataRefused, build_snapshot, snapshot_event

PROG = "vouchers"
DLQ_SOURCES = topics.EVENT_TOPICS + topics.REFDATA_TOPICS


class UsageError(Exception):
    """An ordinary mistake on the command line: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def uscc(value: str) -> str:
    """An argument that must be a unified social credit code, as written."""
    if not is_uscc(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a valid unified social credit code (GB 32100-2015: 18 characters, "
            "the last a check character)"
        )
    return value


def position(value: str) -> tuple[int, int]:
    """PARTITION:OFFSET of a parked record, as `dlq list` shows it."""
    partition, _, offset = value.partition(":")
    if not (partition.isdigit() and offset.isdigit()):
        raise argparse.ArgumentTypeError(f"{value!r} is not PARTITION:OFFSET, e.g. 3:1042")
    return int(partition), int(offset)


def dlq_source(value: str) -> str:
    """A topic of the suite whose dead-letter topic to read."""
    if value not in DLQ_SOURCES:
        hint = f"; its original topic is {value.removesuffix('.dlq')}" if value.endswith(".dlq") else ""
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a topic of the suite{hint} (topics: {', '.join(DLQ_SOURCES)})"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    token = sub.add_parser("token", help="print a signed bearer token")
    token.add_argument("role", choices=["submitter", "operator", "auditor"])
    token.add_argument("uscc", nargs="?", type=uscc, help="the applicant a submitter acts for")
    tokens = sub.add_parser("tokens", help="write the local tokens file")
    tokens.add_argument("path", type=Path)
    tokens.add_argument(
        "--applicants-from",
        type=Path,
        nargs="*",
        default=[],
        help="application JSON files whose applicants get submitter tokens",
    )
    refdata = sub.add_parser("refdata", help="reference data")
    refdata.add_argument("action", choices=["load"])
    refdata.add_argument("kind", choices=list(ITEM_MODELS))
    refdata.add_argument(
        "file",
        type=Path,
        help="a JSON array of the kind's items, or an object keyed "
        "by kind holding such arrays (deploy/sample/refdata.json)",
    )
    dlq = sub.add_parser("dlq", help="inspect and replay a dead-letter topic")
    dlq.add_argument("action", choices=["list", "show", "replay"])
    dlq.add_argument("topic", type=dlq_source, help="the original topic, e.g. vouchers.applications.v1")
    dlq.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="PARTITION:OFFSET",
        type=position,
        help="only these records (show, replay)",
    )
    sub.add_parser(
        "carry-over",
        help="copy what the topics of the previous version still hold for their readers onto "
        "the topics of now (run with the services stopped, before the new version starts)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # what went wrong is said once, below
    # Answers go to stdout as JSON; what the libraries log on the way goes to stderr.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    try:
        return _run(_parser().parse_args(argv))
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KafkaError as exc:
        print(
            f"{PROG}: Kafka did not answer ({exc}); is the suite up (make up), and "
            "KAFKA_BOOTSTRAP_SERVERS right?",
            file=sys.stderr,
        )
        return 1


def _run(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.command == "token":
        if (args.role == "submitter") != (args.uscc is not None):
            raise UsageError("a submitter token names the applicant's USCC, and only a submitter token does")
        try:
            print(TokenService(settings.signing_key()).issue(args.role, args.uscc))
        except ValueError as exc:  # no key, or a refused one
            raise UsageError(str(exc)) from exc
    elif args.command == "tokens":
        try:
            write_tokens(settings, args.path, args.applicants_from)
        except ValueError as exc:  # no key, or a refused one
            raise UsageError(str(exc)) from exc
    elif args.command == "refdata":
        return asyncio.run(load_refdata(settings, args.kind, args.file))
    elif args.command == "carry-over":
        return asyncio.run(carry_over_command(settings))
    else:
        return asyncio.run(dlq_command(settings, args.action, args.topic, set(args.at) or None))
    return 0


def _settings() -> CommonSettings:
    try:
        return CommonSettings()
    except ValidationError as exc:
        problems = "; ".join(
            str(e["msg"]) if not e["loc"] else f"{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise UsageError(f"the settings do not hold: {problems}") from exc


def read_json(file: Path) -> Any:
    """The JSON in `file`; a file that is not there, or not JSON, is a UsageError."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{file} is not JSON: {exc}") from exc


def write_tokens(settings: CommonSettings, path: Path, applications: list[Path]) -> None:
    service = TokenService(settings.signing_key())
    usccs: set[str] = set()
    for file in applications:
        data: Any = read_json(file)
        try:
            found = data.get("application", data)["applicant"]["uscc"]
        except (AttributeError, KeyError, TypeError) as exc:
            raise UsageError(f"{file} is not an application: it names no applicant.uscc") from exc
        if not isinstance(found, str) or not is_uscc(found):
            raise UsageError(f"{file}: {found!r} is not a valid unified social credit code")
        usccs.add(found)
    tokens = {
        "submitter": {uscc: service.issue("submitter", uscc) for uscc in sorted(usccs)},
        "operator": service.issue("operator"),
        "auditor": service.issue("auditor"),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tokens, indent=2), encoding="utf-8")
        path.chmod(0o600)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


async def load_refdata(settings: CommonSettings, kind: str, file: Path) -> int:
    data = await asyncio.to_thread(read_json, file)
    try:
        items = kind_items(kind, data)
        snapshot = build_snapshot(kind, items, "cli", datetime.now(UTC))
    except (ValueError, RefdataRefused) as exc:
        detail = exc.errors if isinstance(exc, RefdataRefused) else str(exc)
        print(json.dumps({"error": detail}, ensure_ascii=False), file=sys.stderr)
        return 2
    await ensure_topics(settings)
    async with StandalonePublisher(settings) as publisher:
        await publisher.publish(snapshot_event(snapshot))
    print(json.dumps({"kind": kind, "version": snapshot.version, "items": len(snapshot.items)}))
    return 0


def kind_items(kind: str, data: Any) -> list[Any]:
    """The items of `kind` from a file's JSON: the array itself, or the one an object of every
    kind (like deploy/sample/refdata.json) holds under `kind`."""
    if isinstance(data, dict):
        if kind not in data:
            kinds = ", ".join(map(str, data)) or "none"
            raise ValueError(f"the file holds no {kind!r} array (it has {kinds})")
        data = data[kind]
    if not isinstance(data, list):
        raise ValueError("the file must hold a JSON array, or an object of arrays by kind")
    return data


async def carry_over_command(settings: CommonSettings) -> int:
    await ensure_topics(settings)
    for carried in await carry_over(settings, topics.CARRIED_OVER):
        print(json.dumps({"from": carried.source, "to": carried.target, "records": carried.records}))
    return 0


async def dlq_command(
    settings: CommonSettings, action: str, topic: str, only: set[tuple[int, int]] | None
) -> int:
    if action == "replay":
        print(json.dumps({"replayed": await replay(settings, topic, only)}))
        return 0
    async for record in parked(settings, topic):
        if only is not None and (record.partition, record.offset) not in only:
            continue
        print(json.dumps(parked_row(record, full=action == "show"), ensure_ascii=False))
    return 0


def parked_row(record: Parked, *, full: bool) -> dict[str, Any]:
    """A parked record as `dlq list` (or, `full`, `dlq show`) prints it: what lands in terminals
    and tickets has its personal data masked, as the logs have; `replay` sends the record whole."""
    row: dict[str, Any] = {
        "at": f"{record.partition}:{record.offset}",
        "key": record.key,
        "error": record.headers.get("dlq_error"),
        "attempts": record.headers.get("dlq_attempts"),
    }
    if full:
        row["headers"] = record.headers
        try:
            body = json.dumps(mask_value(json.loads(record.body)), ensure_ascii=False)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = record.body.decode(errors="replace")
        row["body"] = body[:10_000]
    masked: dict[str, Any] = mask_value(row)
    return masked
