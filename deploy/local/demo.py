"""`make demo`: load the sample reference data, file the sample applications, show their outcomes."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "deploy" / "sample"
FINAL = {"awaiting_notice", "rejected", "needs_review", "approved"}


def main() -> int:
    tokens = json.loads((REPO / ".run" / "tokens.json").read_text(encoding="utf-8"))
    base = f"http://127.0.0.1:{os.environ.get('INTAKE_HTTP_PORT', '8080')}"
    operator = {"Authorization": f"Bearer {tokens['operator']}"}
    with httpx.Client(base_url=base, timeout=15.0) as client:
        for kind, items in json.loads((SAMPLES / "refdata.json").read_text("utf-8")).items():
            answer = client.post(f"/v1/refdata/{kind}", json=items, headers=operator)
            answer.raise_for_status()
            print(f"reference data {kind:<22} version {answer.json()['version']}")
        time.sleep(3)  # the services store the snapshots from their topics
        filed = {}
        for path in sorted((SAMPLES / "applications").glob("*.json")):
            sample = json.loads(path.read_text("utf-8"))
            application = sample["application"]
            token = tokens["submitter"][application["applicant"]["uscc"]]
            answer = client.post("/v1/applications", json=application,
                                 headers={"Authorization": f"Bearer {token}",
                                          "Idempotency-Key": f"demo-{path.stem}"})
            if answer.status_code != 202:
                print(f"{path.stem}: {answer.status_code} {answer.text}", file=sys.stderr)
                return 1
            filed[path.stem] = (answer.json()["application_id"], sample["expect"])
        rows = [_wait(client, operator, name, app_id, expect) for name, (app_id, expect) in filed.items()]
    _table(rows)
    return 0


def _wait(client: httpx.Client, headers: dict[str, str], name: str, app_id: str,
          expect: dict[str, Any]) -> list[str]:
    deadline = time.monotonic() + 120
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = client.get(f"/v1/applications/{app_id}", headers=headers).json()
        if view.get("status") in FINAL:
            break
        time.sleep(0.5)
    failed = sorted({f["rule"] for c in view.get("checks", {}).values() for f in c["findings"]
                     if f["result"] == "fail"})
    voucher = (view.get("voucher") or {}).get("total_cny", "-") if view.get("status") != "rejected" else "-"
    return [name, app_id, str(view.get("status")), str(voucher), ", ".join(failed) or "-",
            str(expect["status"])]


def _table(rows: list[list[str]]) -> None:
    header = ["sample", "application", "status", "voucher CNY", "failed rules", "guide says"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
