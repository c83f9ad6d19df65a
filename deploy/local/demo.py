"""`make demo`: the whole procedure on the sample applications, from filing to letters.

1. load the sample reference data and file the sample applications (each with an
   Idempotency-Key, so running the demo again files nothing new);
2. wait for the verdicts and the case decisions;
3. open a public-notice batch with every application awaiting it;
4. restart the services on a program clock the day after the notice period ends
   (`VOUCHER_CLOCK=<later> suitectl.py up`), which closes the period;
5. wait for the approvals, print the letters the local mail sink received, and a table;
6. print the console's address and a sign-in link for the local operator.

With `DEMO_ON=compose` (`make compose-demo`) the same steps run against `docker compose`: the
tokens come from `DEMO_TOKENS`, step 4 is `docker compose up -d --wait` with the later
`VOUCHER_CLOCK` (the `clock` service anchors it anew), and the letters are in Mailpit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "deploy" / "sample"
MAIL_DIR = REPO / ".run" / "mail"
DECIDED = {"awaiting_notice", "rejected", "needs_review", "approved", "in_public_notice",
           "objection_raised"}
DONE = {"rejected", "needs_review", "approved"}


ON_COMPOSE = os.environ.get("DEMO_ON") == "compose"
MAILPIT = "http://127.0.0.1:8025"


def main() -> int:
    tokens = json.loads(Path(os.environ.get("DEMO_TOKENS", REPO / ".run" / "tokens.json"))
                        .read_text(encoding="utf-8"))
    operator = {"Authorization": f"Bearer {tokens['operator']}"}
    intake = httpx.Client(base_url=_url("INTAKE_HTTP_PORT", 8080), timeout=15.0, headers=operator)
    notification = httpx.Client(base_url=_url("NOTIFICATION_HTTP_PORT", 8083), timeout=15.0,
                                headers=operator)
    with intake, notification:
        _load_refdata(intake)
        filed = _file_samples(intake, tokens)
        if filed is None:
            return 1
        views = {name: _wait(intake, app_id, DECIDED, 120) for name, (app_id, _) in filed.items()}
        _section("verdicts and case decisions")
        for name, view in views.items():
            print(f"  {name:<24} {view['application_id']}  {view['status']}")
        if any(v["status"] == "awaiting_notice" for v in views.values()) and not _open_notice(notification):
            return 1
        current = [intake.get(f"/v1/applications/{app_id}").json() for app_id, _ in filed.values()]
        ends = [date.fromisoformat(v["notice"]["ends_on"]) for v in current
                if v["status"] in ("in_public_notice", "objection_raised") and v.get("notice")]
        if ends and not _restart_after(max(ends)):
            return 1
        if not ends:
            print("\n(no application awaits a notice: an earlier run decided them all;"
                  " `make clean` starts afresh)")
        views = {name: _wait(intake, app_id, DONE, 120) for name, (app_id, _) in filed.items()}
        _print_letters({v["application_id"] for v in views.values()})
    _table([_row(name, views[name], expect) for name, (_, expect) in filed.items()])
    _console(tokens["operator"])
    return 0


def _console(operator_token: str) -> None:
    """Where the bureau's console answers, and a link that opens its sign-in form with the local
    operator's token filled in (local mode only; the form still has to be sent)."""
    base = _url("NOTIFICATION_HTTP_PORT", 8083)
    _section("the console")
    print(f"  {base}/console/")
    print(f"  sign in as the local operator: {base}/console/sign-in?token={quote(operator_token, safe='')}")


def _url(setting: str, default: int) -> str:
    return f"http://127.0.0.1:{os.environ.get(setting, default)}"


def _section(title: str) -> None:
    print(f"\n== {title}")


def _load_refdata(intake: httpx.Client) -> None:
    _section("reference data")
    for kind, items in json.loads((SAMPLES / "refdata.json").read_text("utf-8")).items():
        answer = intake.post(f"/v1/refdata/{kind}", json=items)
        answer.raise_for_status()
        print(f"  {kind:<22} version {answer.json()['version']}")
    time.sleep(3)  # the services take the snapshots from their compacted topics


def _file_samples(intake: httpx.Client, tokens: dict[str, Any]) -> dict[str, tuple[str, Any]] | None:
    _section("filing the sample applications")
    filed = {}
    for path in sorted((SAMPLES / "applications").glob("*.json")):
        sample = json.loads(path.read_text("utf-8"))
        application = sample["application"]
        token = tokens["submitter"][application["applicant"]["uscc"]]
        answer = intake.post("/v1/applications", json=application,
                             headers={"Authorization": f"Bearer {token}",
                                      "Idempotency-Key": f"demo-{path.stem}"})
        if answer.status_code != 202:
            print(f"{path.stem}: {answer.status_code} {answer.text}", file=sys.stderr)
            return None
        filed[path.stem] = (answer.json()["application_id"], sample["expect"])
        print(f"  {path.stem:<24} {answer.json()['application_id']}")
    return filed


def _open_notice(notification: httpx.Client) -> bool:
    """Open a public-notice batch with every application awaiting it."""
    answer = notification.post("/v1/notices")
    if answer.status_code != 201:
        print(f"opening the notice failed: {answer.status_code} {answer.text}", file=sys.stderr)
        return False
    notice = answer.json()
    _section(f"public notice {notice['notice_id']}")
    print(f"  {len(notice['application_ids'])} applications, {notice['starts_on']} to {notice['ends_on']}")
    print(f"  the page: {notification.base_url}/notices/{notice['notice_id']}")
    return True


def _restart_after(ends_on: date) -> bool:
    """Restart the services on a program clock the day after the notice period ends."""
    clock = f"{(ends_on + timedelta(days=1)).isoformat()}T10:00:00+08:00"
    _section(f"the notice period has ended: restarting the services with VOUCHER_CLOCK={clock}")
    restarted = subprocess.run(restart_command(), env={**os.environ, "VOUCHER_CLOCK": clock},  # noqa: S603
                               check=False)
    return restarted.returncode == 0


def restart_command() -> list[str]:
    """What restarts the services on a new program clock: our process manager, or compose."""
    if ON_COMPOSE:
        return ["docker", "compose", "up", "-d", "--wait"]
    return [sys.executable, str(REPO / "deploy" / "local" / "suitectl.py"), "up"]


def _wait(client: httpx.Client, app_id: str, statuses: set[str], timeout: float) -> dict[str, Any]:
    found: dict[str, Any] = _poll(lambda: _view_in(client, app_id, statuses), timeout) or client.get(
        f"/v1/applications/{app_id}").json()
    return found


def _view_in(client: httpx.Client, app_id: str, statuses: set[str]) -> dict[str, Any] | None:
    try:
        view: dict[str, Any] = client.get(f"/v1/applications/{app_id}").json()
    except httpx.HTTPError:
        return None  # restarting
    return view if view.get("status") in statuses else None


def _poll(probe: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    return None


def _print_letters(app_ids: set[str]) -> None:
    """The letters about these applications, as the local mail sink (.run/mail) received them."""
    if ON_COMPOSE:
        _section(f"letters: in Mailpit, {MAILPIT}")
        return

    def letters() -> list[Message] | None:
        found = [m for m in _mailbox() if any(a in _subject(m) for a in app_ids)]
        covered = {a for a in app_ids for m in found if a in _subject(m)}
        return found if covered == app_ids else None

    found = _poll(letters, 60) or [m for m in _mailbox() if any(a in _subject(m) for a in app_ids)]
    _section(f"letters in {MAIL_DIR.relative_to(REPO)} ({len(found)})")
    for message in found:
        print(f"\n  To: {message['To']}\n  Subject: {_subject(message)}")
        lines = [line for line in _text(message).splitlines() if line.strip()]
        for line in lines[:10]:
            print(f"    {line}")


def _mailbox() -> list[Message]:
    files = sorted(MAIL_DIR.glob("*.eml"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0)
    return [message_from_bytes(p.read_bytes()) for p in files]


def _subject(message: Message) -> str:
    return str(make_header(decode_header(message.get("Subject", ""))))


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8")
    return ""


def _row(name: str, view: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    failed = sorted({f["rule"] for c in view.get("checks", {}).values() for f in c["findings"]
                     if f["result"] == "fail"})
    status = str(view.get("status"))
    voucher = (view.get("voucher") or {}).get("total_cny", "-") if status != "rejected" else "-"
    return [name, str(view.get("application_id")), status, str(view.get("approved_on") or "-"),
            str(voucher), ", ".join(failed) or "-", str(expect["status"])]


def _table(rows: list[list[str]]) -> None:
    _section("outcomes")
    header = ["sample", "application", "status", "approved on", "voucher CNY", "failed rules",
              "guide says (before notice)"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
