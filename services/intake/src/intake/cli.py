"""`vouchers`: the operators' command line (tokens, reference data, dead-letter topics)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vouchers_shared.auth import TokenService
from vouchers_shared.messaging.kafka import ensure_topics
from vouchers_shared.messaging.producer import StandalonePublisher
from vouchers_shared.settings import CommonSettings

from intake.dlq import parked, replay
from intake.refdata_loader import RefdataRefused, build_snapshot, snapshot_event


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vouchers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    token = sub.add_parser("token", help="print a signed bearer token")
    token.add_argument("role", choices=["submitter", "operator", "auditor"])
    token.add_argument("uscc", nargs="?")
    tokens = sub.add_parser("tokens", help="write the local tokens file")
    tokens.add_argument("path", type=Path)
    tokens.add_argument("--applicants-from", type=Path, nargs="*", default=[],
                        help="application JSON files whose applicants get submitter tokens")
    refdata = sub.add_parser("refdata", help="reference data")
    refdata.add_argument("action", choices=["load"])
    refdata.add_argument("kind")
    refdata.add_argument("file", type=Path, help="a JSON array of the kind's items, or an object keyed "
                         "by kind holding such arrays (deploy/sample/refdata.json)")
    dlq = sub.add_parser("dlq", help="inspect and replay a dead-letter topic")
    dlq.add_argument("action", choices=["list", "show", "replay"])
    dlq.add_argument("topic", help="the original topic, e.g. vouchers.applications.v1")
    dlq.add_argument("--at", action="append", default=[], metavar="PARTITION:OFFSET",
                     help="only these records (show, replay)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = CommonSettings()
    if args.command == "token":
        print(TokenService(settings.vouchers_token_key).issue(args.role, args.uscc))
    elif args.command == "tokens":
        write_tokens(settings, args.path, args.applicants_from)
    elif args.command == "refdata":
        return asyncio.run(load_refdata(settings, args.kind, args.file))
    else:
        return asyncio.run(dlq_command(settings, args.action, args.topic, _positions(args.at)))
    return 0


def write_tokens(settings: CommonSettings, path: Path, applications: list[Path]) -> None:
    service = TokenService(settings.vouchers_token_key)
    usccs: set[str] = set()
    for file in applications:
        data: Any = json.loads(file.read_text(encoding="utf-8"))
        usccs.add(data.get("application", data)["applicant"]["uscc"])
    tokens = {
        "submitter": {uscc: service.issue("submitter", uscc) for uscc in sorted(usccs)},
        "operator": service.issue("operator"),
        "auditor": service.issue("auditor"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2), encoding="utf-8")
    path.chmod(0o600)


async def load_refdata(settings: CommonSettings, kind: str, file: Path) -> int:
    try:
        items = kind_items(kind, json.loads(await asyncio.to_thread(file.read_text, encoding="utf-8")))
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


async def dlq_command(settings: CommonSettings, action: str, topic: str,
                      only: set[tuple[int, int]] | None) -> int:
    if action == "replay":
        print(json.dumps({"replayed": await replay(settings, topic, only)}))
        return 0
    async for record in parked(settings, topic):
        if only is not None and (record.partition, record.offset) not in only:
            continue
        row: dict[str, Any] = {"at": f"{record.partition}:{record.offset}", "key": record.key,
                               "error": record.headers.get("dlq_error"),
                               "attempts": record.headers.get("dlq_attempts")}
        if action == "show":
            row["headers"] = record.headers
            row["body"] = record.body.decode(errors="replace")[:10_000]
        print(json.dumps(row, ensure_ascii=False))
    return 0


def _positions(values: list[str]) -> set[tuple[int, int]] | None:
    if not values:
        return None
    return {(int(p), int(o)) for p, o in (v.split(":", 1) for v in values)}
