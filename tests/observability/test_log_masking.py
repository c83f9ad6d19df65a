"""Logs are JSON lines with the service on every one, and no personal data ever reaches them.

The end-to-end part files an application full of personal data nobody else uses (contact,
legal representative, project people, an officer), lets it run to its rejection letter, files
an invalid copy as well, and then reads every service's log of the session suite for any of it.
The pipeline part feeds personal data straight into the logging a service configures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.observability.flow import below_threshold, file_and_wait, new_applicant, register_audit_reports
from tests.support.suite import Suite, wait_for

SERVICES = ("intake", "eligibility", "verification", "notification")
CONTACT = {"name": "司马测遥", "email": "sima.ceyao.q7@privacy-probe.example.cn", "mobile": "13987654321"}
LEGAL_REPRESENTATIVE = {"person_id": "pid-probe-lr-4711", "name": "上官探针"}
LEAD = ("pid-probe-lead-4711", "欧阳日志")
MEMBERS = (("pid-probe-m1-4711", "诸葛掩码"), ("pid-probe-m2-4711", "东方脱敏"))
OFFICER = {"person_id": "pid-probe-off-4711", "name": "慕容审计", "role": "director"}
PERSONAL = (
    *CONTACT.values(),
    *LEGAL_REPRESENTATIVE.values(),
    *LEAD,
    *(x for m in MEMBERS for x in m),
    OFFICER["person_id"],
    OFFICER["name"],
)


def with_personal_data(app: dict[str, Any]) -> dict[str, Any]:
    applicant, project = app["applicant"], app["project"]
    applicant["contact"] = dict(CONTACT)
    applicant["legal_representative"] = dict(LEGAL_REPRESENTATIVE)
    applicant["officers"] = [dict(OFFICER)]
    project["lead"] = {**project["lead"], "person_id": LEAD[0], "name": LEAD[1]}
    project["members"] = [
        {**member, "person_id": pid, "name": name}
        for member, (pid, name) in zip(project["members"], MEMBERS, strict=True)
    ]
    for material in app["materials"]:
        if material["kind"] == "personnel_certificates":
            material["person_ids"] = [LEAD[0], *(pid for pid, _ in MEMBERS)]
    return app


def log_lines(suite: Suite, service: str) -> list[str]:
    return (suite.logs / f"{service}.log").read_text("utf-8", errors="replace").splitlines()


def records(suite: Suite, service: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_lines(suite, service) if line.startswith("{")]


def mailed_to(suite: Suite, address: str) -> bool:
    return any(address in str(m.get("To", "")) for m in suite.mail.messages)


@pytest.fixture(scope="module")
def filed(suite: Suite) -> dict[str, Any]:
    uscc = new_applicant()
    register_audit_reports(suite, [uscc])
    invalid = with_personal_data(below_threshold(uscc))
    invalid["applicant"]["uscc"] = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")  # bad check digit
    with suite.client("intake", "submitter", uscc) as client:
        assert client.post("/v1/applications", json=invalid).status_code == 422
    view = file_and_wait(suite, with_personal_data(below_threshold(uscc)))
    assert view["status"] == "rejected"
    wait_for("the rejection letter", lambda: mailed_to(suite, CONTACT["email"]), timeout=90)
    wait_for(
        "the letter logged",
        lambda: any(
            r.get("event") == "letter_sent" and r.get("application_id") == view["application_id"]
            for r in records(suite, "notification")
        ),
        timeout=60,
    )
    return view


@pytest.mark.e2e
@pytest.mark.integration
def test_no_personal_data_reaches_any_service_log(suite: Suite, filed: dict[str, Any]) -> None:
    escaped = {value: json.dumps(value)[1:-1] for value in PERSONAL}  # as \\uXXXX, had any been
    for service in SERVICES:
        text = "\n".join(log_lines(suite, service))
        leaked = [v for v in PERSONAL if v in text or escaped[v] in text]
        assert not leaked, f"{service}.log shows {leaked}"


@pytest.mark.e2e
@pytest.mark.integration
def test_every_log_line_is_json_naming_its_service(suite: Suite, filed: dict[str, Any]) -> None:
    for service in SERVICES:
        lines = [line for line in log_lines(suite, service) if line and not line.startswith("=== ")]
        assert lines
        for line in lines:
            record = json.loads(line)
            assert record["service"] == service, line
            assert {"level", "timestamp", "event"} <= set(record), line


@pytest.mark.e2e
@pytest.mark.integration
def test_lines_about_a_record_carry_its_application_event_and_correlation_ids(
    suite: Suite, filed: dict[str, Any]
) -> None:
    application_id = filed["application_id"]
    for service in ("intake", "notification"):
        about = [r for r in records(suite, service) if r.get("application_id") == application_id]
        assert about, service
        handled = [r for r in about if "event_id" in r]
        assert handled, service
        assert all(r["correlation_id"] == application_id for r in handled), handled


PIPELINE = """
import logging, structlog
from vouchers_shared.observability.logging import configure_logging
configure_logging("probe-service")
log = structlog.get_logger()
structlog.contextvars.bind_contextvars(application_id="SZV2026-PROBE", event_id="e-1", correlation_id="c-1")
log.info("filed", contact={"name": "司马测遥", "email": "sima@probe.example.cn", "mobile": "13987654321"},
         legal_representative={"person_id": "pid-probe-lr", "name": "上官探针"},
         note="call 13987654321 or write to sima@probe.example.cn; id 11010519491231002X")
log.warning("member", person_id="pid-probe-m1", name="诸葛掩码", members=[{"name": "东方脱敏"}])
structlog.contextvars.clear_contextvars()
logging.getLogger("uvicorn.access").info('%s - "%s %s"', "127.0.0.1:5000", "GET", "/v1/x?email=a.b@c.cn")
logging.getLogger("aiokafka").warning("sending to %s", "13987654321")
try:
    raise ValueError("bad contact sima@probe.example.cn")
except ValueError:
    log.exception("failed")
"""


def test_the_service_logging_masks_personal_data_in_fields_text_and_library_logs() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PIPELINE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    text = result.stdout
    for value in (
        "司马测遥",
        "sima@probe.example.cn",
        "13987654321",
        "pid-probe-lr",
        "上官探针",
        "pid-probe-m1",
        "诸葛掩码",
        "东方脱敏",
        "a.b@c.cn",
        "11010519491231002X",
    ):
        assert value not in text, value
    assert [r["event"] for r in lines][:2] == ["filed", "member"]
    assert all(r["service"] == "probe-service" for r in lines)
    assert lines[0]["application_id"] == "SZV2026-PROBE"
    assert lines[0]["event_id"] == "e-1"
    assert lines[0]["correlation_id"] == "c-1"
    assert "application_id" not in lines[2]
    assert {r.get("logger") for r in lines[2:4]} == {"uvicorn.access", "aiokafka"}
    assert "SZV2026-PROBE" in text  # ids are not personal data and stay readable
