"""Test support for the verification service: example data, an application builder, a CPA server."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import deque
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote

from stdnum.cn import uscc as stdnum_uscc
from verification.domain.model import MaterialParams
from vouchers_shared.application import Application
from vouchers_shared.young_enterprise import YoungEnterprise

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"

# Program year 2026: the guide published 2026-04-30, so "less than one year" starts 2025-05-01.
GUIDE_PUBLISHED_ON = date(2026, 4, 30)
PARAMS_2026 = MaterialParams(
    audit_fiscal_years=(2025, 2024), young_enterprise=YoungEnterprise(GUIDE_PUBLISHED_ON, 1)
)


def with_check_digit(first17: str) -> str:
    """A USCC whose 18th character is the GB 32100-2015 check digit of the first 17."""
    return first17 + stdnum_uscc.calc_check_digit(first17)


PUBLIC_INSTITUTION_USCC = with_check_digit("12440300MB2C00010")  # 事业单位 (category 12)
OTHER_ENTERPRISE_USCC = with_check_digit("91440305MA5K00900")


def load_example(name: str) -> dict[str, Any]:
    """One worked example file (application, expect, note) or refdata.json."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def staff(person_id: str, *, full_time: bool = True) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "name": "成员",
        "qualification": "masters",
        "full_time_in_shenzhen": full_time,
    }


class AppBuilder:
    """Changes a worked example's application step by step, then validates it."""

    def __init__(self, application: dict[str, Any]) -> None:
        self.data = copy.deepcopy(application)

    @classmethod
    def example(cls, name: str = "approvable") -> AppBuilder:
        return cls(load_example(name)["application"])

    def applicant(self, **changes: Any) -> Self:
        self.data["applicant"].update(changes)
        return self

    def project(self, **changes: Any) -> Self:
        self.data["project"].update(changes)
        return self

    def declare(self, **changes: Any) -> Self:
        self.data["declarations"].update(changes)
        return self

    def without(self, *kinds: str) -> Self:
        self.data["materials"] = [m for m in self.data["materials"] if m["kind"] not in kinds]
        return self

    def with_material(self, kind: str, **fields: Any) -> Self:
        count = len(self.data["materials"])
        self.data["materials"].append({"kind": kind, "sha256": sha(f"{kind}-{count}"), **fields})
        return self

    def change(self, kind: str, **fields: Any) -> Self:
        """Update every material of `kind` (None removes a field)."""
        for material in self.data["materials"]:
            if material["kind"] == kind:
                material.update(fields)
                for key in [k for k, v in fields.items() if v is None]:
                    del material[key]
        return self

    def public_institution(self) -> Self:
        """A public research institute: registration certificate, final accounts, no tax proof."""
        self.applicant(public_institution=True, org_type="research_institute", uscc=PUBLIC_INSTITUTION_USCC)
        self.without("business_license", "audit_report", "tax_payment_certificate")
        self.with_material("institution_certificate", signed_by_legal_rep=True, stamped=True)
        return self.with_material("financial_final_accounts")

    def build(self) -> Application:
        return Application.model_validate(self.data)


class CpaTestServer:
    """A real HTTP server on 127.0.0.1 (free port) playing the CPA platform.

    `registry` maps qr_code to the JSON body answered with 200; unknown codes answer 404.
    `script` holds steps consumed one per request before the normal answer:
    ("status", 503) answers that status; ("sleep", s) waits s seconds then answers normally;
    ("body", b"...") answers 200 with that body.
    """

    token = "test-token"

    def __init__(self, registry: dict[str, dict[str, Any]] | None = None) -> None:
        self.registry = registry or {}
        self.script: deque[tuple[str, Any]] = deque()
        self.requests: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self.requests)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _next_step(self, path: str, auth: str | None) -> tuple[str, Any] | None:
        with self._lock:
            self.requests.append((path, auth))
            return self.script.popleft() if self.script else None

    def _answer(self, path: str, auth: str | None) -> tuple[int, bytes]:
        if auth != f"Bearer {self.token}":
            return 401, b'{"error": "unauthorized"}'
        prefix = "/v1/qr/"
        if not path.startswith(prefix):
            return 404, b"{}"
        body = self.registry.get(unquote(path[len(prefix) :]))
        return (200, json.dumps(body).encode()) if body is not None else (404, b"{}")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                auth = self.headers.get("Authorization")
                step = server._next_step(self.path, auth)
                status, body = server._answer(self.path, auth)
                if step is not None and step[0] == "status":
                    status, body = step[1], b'{"error": "scripted"}'
                elif step is not None and step[0] == "body":
                    status, body = 200, step[1]
                elif step is not None and step[0] == "sleep" and server._stopping.wait(step[1]):
                    return
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as the timeout tests intend

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
