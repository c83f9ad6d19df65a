"""The AsyncAPI document of each service and the OpenAPI of the HTTP services, from the apps.

    python -m vouchers_shared.observability.docs --write   # regenerate docs/ (make docs)
    python -m vouchers_shared.observability.docs --check   # exit 1 if a document is stale

Each service's `create_app` builds its FastStream broker (subscribers, documented publishers,
dead-letter topics); FastStream turns it into an AsyncAPI 3.0 document. The subscribers take
raw bytes, so the payload of every message on an event topic is then filled in from the event
contracts (`vouchers_shared.schemas`, as serialized on the wire), with the CloudEvents headers
each message carries. Nothing connects: the apps are built, never started, on default settings.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from faststream.specification import AsyncAPI
from pydantic.json_schema import models_json_schema

from vouchers_shared import signing_key
from vouchers_shared.observability.catalog import contracts_on
from vouchers_shared.schemas import EventContract, open_objects
from vouchers_shared.settings import CommonSettings

DOCS_DIR = Path(__file__).resolve().parents[4] / "docs"
SERVICES = ("intake", "eligibility", "verification", "notification")
HTTP_SERVICES = ("intake", "notification")
SCHEMAS_REF = "#/components/schemas/{model}"
KAFKA_BINDING_VERSION = "0.4.0"


def build_app(service: str) -> FastAPI:
    """The service's app on default settings, whatever the environment says, in local mode as
    `make up` runs it (intake's POST /v1/dev/tokens documented) and with a key of its own."""
    with (
        _default_environment(),
        _environment(VOUCHERS_LOCAL_MODE="true", VOUCHERS_TOKEN_KEY=signing_key.generate()),
    ):
        module = importlib.import_module(f"{service}.app")
        app: FastAPI = module.create_app()
    return app


@contextlib.contextmanager
def _default_environment() -> Iterator[None]:
    """Hide variables naming any setting (KAFKA_BOOTSTRAP_SERVERS, ...) while apps are built."""
    names = {name.upper() for name in CommonSettings.model_fields}
    hidden = {
        k: v
        for k, v in os.environ.items()
        if k.upper() in names or k.upper().endswith(("_HTTP_PORT", "_HTTP_HOST"))
    }
    for key in hidden:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(hidden)


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    os.environ.update(values)
    try:
        yield
    finally:
        for key in values:
            del os.environ[key]


def asyncapi(service: str) -> dict[str, Any]:
    app = build_app(service)
    spec = AsyncAPI(
        app.state.broker,
        title=app.title,
        version=importlib.metadata.version(f"vouchers-{service}"),
        description=(
            f"Kafka topics the {service} service reads and writes. Every message is a "
            "CloudEvents 1.0 event in Kafka binary mode (ce_* headers), keyed by applicant "
            "USCC, with a JSON body; see docs/asyncapi/ in the repository."
        ),
    )
    document: dict[str, Any] = spec.to_specification().to_jsonable()
    return with_event_payloads(document)


def with_event_payloads(document: dict[str, Any]) -> dict[str, Any]:
    """Every message on an event topic gets its contracts' payloads and CloudEvents headers."""
    components = document.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    messages: dict[str, Any] = components.get("messages", {})
    for channel in document.get("channels", {}).values():
        address = str(channel.get("address", ""))
        for ref in channel.get("messages", {}).values():
            message = messages[ref["$ref"].rsplit("/", 1)[1].replace("~1", "/")]
            on_topic = contracts_on(address)
            if on_topic:
                _describe_event_message(message, on_topic, schemas)
            elif address.endswith(".dlq"):
                _describe_dead_letter(message, address)
    _prune_unreferenced(document)
    return document


def _describe_event_message(
    message: dict[str, Any], on_topic: list[EventContract], schemas: dict[str, Any]
) -> None:
    models = list(dict.fromkeys(c.model for c in on_topic))
    refs, definitions = models_json_schema([(m, "serialization") for m in models], ref_template=SCHEMAS_REF)
    schemas.update(open_objects(definitions.get("$defs", {})))
    payloads = [refs[(m, "serialization")] for m in models]
    types = [c.event_type for c in on_topic]
    message["payload"] = payloads[0] if len(payloads) == 1 else {"oneOf": payloads}
    message["contentType"] = "application/json"
    message["summary"] = ", ".join(types)
    message["headers"] = cloudevents_headers(types)
    message["bindings"] = {
        "kafka": {
            "key": {"type": "string", "description": "applicant USCC"},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


def _describe_dead_letter(message: dict[str, Any], address: str) -> None:
    headers = cloudevents_headers([], required=False)
    headers["properties"].update(
        {
            "dlq_id": {
                "type": "string",
                "description": "service/topic/partition/offset: the same "
                "each time one service parks one record; readers keep the first of each id",
            },
            "dlq_error": {"type": "string", "description": "the error, at most 2000 characters"},
            "dlq_error_class": {"type": "string"},
            "dlq_attempts": {"type": "string", "description": "failed attempts counted, as a decimal"},
            "dlq_original_topic": {"type": "string", "const": address.removesuffix(".dlq")},
            "dlq_service": {"type": "string"},
            "dlq_at": {"type": "string", "format": "date-time"},
        }
    )
    headers["required"] = [
        "dlq_id",
        "dlq_error",
        "dlq_error_class",
        "dlq_attempts",
        "dlq_original_topic",
        "dlq_service",
        "dlq_at",
    ]
    message["headers"] = headers
    message["summary"] = "A record that could not be processed, as it arrived (any bytes)"


def cloudevents_headers(types: Sequence[str], *, required: bool = True) -> dict[str, Any]:
    """The Kafka headers of a CloudEvents 1.0 event in binary mode, as this suite writes them."""
    ce_type: dict[str, Any] = {"type": "string", "description": "the event type"}
    if types:
        ce_type["enum"] = list(types)
    return {
        "type": "object",
        "properties": {
            "ce_id": {"type": "string", "description": "event id; effects are idempotent on it"},
            "ce_type": ce_type,
            "ce_source": {"type": "string", "description": "/vouchers/<service>"},
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_time": {"type": "string", "format": "date-time"},
            "ce_subject": {
                "type": "string",
                "description": "the application id (the kind, for reference data)",
            },
            "content-type": {"type": "string", "const": "application/json"},
            "correlation_id": {"type": "string"},
        },
        "required": ["ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time"] if required else [],
    }


def _prune_unreferenced(document: dict[str, Any]) -> None:
    """Drop component schemas nothing refers to (FastStream's `bytes` placeholders)."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    prefix = "#/components/schemas/"
    outside = {k: v for k, v in document.items() if k != "components"}
    seen: set[str] = set()
    todo = [r for r in _refs([outside, document["components"].get("messages", {})]) if r.startswith(prefix)]
    while todo:
        name = todo.pop().removeprefix(prefix)
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo += [r for r in _refs(schemas[name]) if r.startswith(prefix)]
    for name in set(schemas) - seen:
        del schemas[name]


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def openapi(service: str) -> dict[str, Any]:
    return build_app(service).openapi()


def render(document: dict[str, Any], *, sort_keys: bool) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\n"


def documents() -> dict[str, str]:
    """Relative path under docs/ -> its current text."""
    out = {f"asyncapi/{s}.json": render(asyncapi(s), sort_keys=True) for s in SERVICES}
    out.update({f"openapi/{s}.json": render(openapi(s), sort_keys=False) for s in HTTP_SERVICES})
    return out


def stale(directory: Path = DOCS_DIR) -> list[str]:
    """The documents under `directory` that are missing or differ from what the apps give."""
    problems = []
    for relative, text in documents().items():
        path = directory / relative
        if not path.is_file():
            problems.append(f"{path}: missing (run `make docs`)")
        elif json.loads(path.read_text("utf-8")) != json.loads(text):
            problems.append(f"{path}: stale (run `make docs`)")
    return problems


def write(directory: Path = DOCS_DIR) -> list[Path]:
    written = []
    for relative, text in documents().items():
        path = directory / relative
        if not path.is_file() or path.read_text("utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vouchers_shared.observability.docs",
        description="Write or check the AsyncAPI and OpenAPI documents.",
    )
    parser.add_argument("--write", action="store_true", help="regenerate the documents")
    parser.add_argument("--check", action="store_true", help="compare them with the apps (default)")
    parser.add_argument("--dir", type=Path, default=DOCS_DIR, help=f"default: {DOCS_DIR}")
    args = parser.parse_args(argv)
    if args.write:
        for path in write(args.dir):
            print(f"wrote {path}")
        return 0
    problems = stale(args.dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
