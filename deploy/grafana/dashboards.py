"""Writes the provisioned Grafana dashboards (deploy/grafana/dashboards/*.json).

    .venv/bin/python deploy/grafana/dashboards.py          # regenerate (make dashboards)
    .venv/bin/python deploy/grafana/dashboards.py --check  # exit 1 if a committed file differs

One overview for the filing peak and one dashboard per service, each owned by the team that
runs it. Every query names only metrics the services export (checked by
tests/observability/test_dashboards.py against a running suite). The `service` label comes
from the scrape configs in deploy/prometheus/.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
RATE = "[$__rate_interval]"


@dataclass
class Board:
    uid: str
    title: str
    description: str
    panels: list[dict[str, Any]] = field(default_factory=list)
    _x: int = 0
    _y: int = 0
    _row_height: int = 0

    def row(self, title: str) -> Board:
        self._newline()
        self.panels.append(
            {
                "type": "row",
                "title": title,
                "collapsed": False,
                "panels": [],
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self._y},
            }
        )
        self._y += 1
        return self

    def add(self, panel: dict[str, Any], w: int, h: int) -> Board:
        if self._x + w > 24:
            self._newline()
        panel["gridPos"] = {"h": h, "w": w, "x": self._x, "y": self._y}
        self.panels.append(panel)
        self._x += w
        self._row_height = max(self._row_height, h)
        return self

    def stat(
        self, title: str, expr: str, unit: str = "short", legend: str = "", description: str = ""
    ) -> Board:
        return self.add(
            _panel(
                "stat",
                title,
                [(expr, legend)],
                unit,
                description,
                {
                    "reduceOptions": {"calcs": ["lastNotNull"]},
                    "graphMode": "area",
                    "colorMode": "value",
                    "textMode": "value_and_name",
                },
            ),
            6,
            5,
        )

    def series(
        self,
        title: str,
        *targets: tuple[str, str],
        unit: str = "short",
        description: str = "",
        w: int = 12,
        stacked: bool = False,
    ) -> Board:
        legend = {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]}
        panel = _panel(
            "timeseries",
            title,
            list(targets),
            unit,
            description,
            {"legend": legend, "tooltip": {"mode": "multi", "sort": "desc"}},
        )
        if stacked:
            panel["fieldConfig"]["defaults"]["custom"] = {"stacking": {"mode": "normal"}, "fillOpacity": 30}
        return self.add(panel, w, 8)

    def bars(
        self, title: str, expr: str, legend: str, unit: str = "short", description: str = "", w: int = 12
    ) -> Board:
        return self.add(
            _panel(
                "bargauge",
                title,
                [(expr, legend)],
                unit,
                description,
                {
                    "orientation": "horizontal",
                    "displayMode": "gradient",
                    "reduceOptions": {"calcs": ["lastNotNull"]},
                },
            ),
            w,
            8,
        )

    def _newline(self) -> None:
        if self._x:
            self._y += self._row_height
        self._x, self._row_height = 0, 0

    def render(self) -> dict[str, Any]:
        for number, panel in enumerate(self.panels, 1):
            panel["id"] = number
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["vouchers"],
            "editable": True,
            "graphTooltip": 1,
            "refresh": "10s",
            "schemaVersion": 39,
            "version": 1,
            "timezone": "browser",
            "time": {"from": "now-1h", "to": "now"},
            "links": [
                {
                    "title": "Compute vouchers",
                    "type": "dashboards",
                    "tags": ["vouchers"],
                    "asDropdown": True,
                    "includeVars": False,
                    "keepTime": True,
                }
            ],
            "annotations": {"list": []},
            "templating": {"list": []},
            "panels": self.panels,
        }


def _panel(
    kind: str,
    title: str,
    targets: list[tuple[str, str]],
    unit: str,
    description: str,
    options: dict[str, Any],
) -> dict[str, Any]:
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": options,
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": expr,
                "legendFormat": legend,
                "range": True,
            }
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def _p(quantile: str, metric: str, by: str, where: str = "") -> str:
    return f"histogram_quantile({quantile}, sum by (le, {by}) (rate({metric}_bucket{where}{RATE})))"


def _consumers(board: Board, service: str, groups: str) -> Board:
    """Lag, assignment, throughput, handler latency and dead letters of a service's consumers."""
    where = f'{{service="{service}"}}'
    in_groups = f'{{group=~"{groups}"}}'
    handled = f"sum by (topic, result) (rate(vouchers_messages_handled_total{where}{RATE}))"
    parked = f"sum by (topic) (increase(vouchers_dlq_messages_total{where}[5m]))"
    retried = f"sum by (topic) (increase(vouchers_transient_retries_total{where}[5m]))"
    exhausted = f"sum by (topic) (increase(vouchers_retries_exhausted_total{where}[5m]))"
    paused = f"sum by (topic, cause) (increase(vouchers_partition_pauses_total{where}[5m]))"
    folded = f"sum by (group, result) (rate(vouchers_batches_folded_total{where}{RATE}))"
    batch_size = (
        f"sum by (group) (rate(vouchers_batch_records_sum{where}{RATE}))"
        f" / sum by (group) (rate(vouchers_batch_records_count{where}{RATE}))"
    )
    published = (
        f'sum by (destination) (rate(faststream_published_messages_total{{app_name="{service}"}}{RATE}))'
    )
    return (
        board.row("Consumers")
        .series(
            "Consumer lag by group and topic (records)",
            (f"sum by (group, topic) (vouchers_consumer_lag{in_groups})", "{{group}} {{topic}}"),
            description="highwater - position over the group's partitions; alert when high and growing",
        )
        .series(
            "Partitions assigned",
            (
                f"sum by (group, topic) (vouchers_consumer_assigned_partitions{in_groups})",
                "{{group}} {{topic}}",
            ),
            description="12 per topic when the group has members; 0 raises ConsumerGroupWithoutMembers",
        )
        .series("Records handled per second", (handled, "{{topic}} {{result}}"), unit="ops", stacked=True)
        .series(
            "Handler latency p50 / p99",
            (_p("0.5", "vouchers_handler_seconds", "topic", where), "p50 {{topic}}"),
            (_p("0.99", "vouchers_handler_seconds", "topic", where), "p99 {{topic}}"),
            unit="s",
        )
        .series(
            "Dead letters and transient retries (per 5 min)",
            (parked, "parked from {{topic}}"),
            (retried, "retried {{topic}}"),
            (exhausted, "retries ran out {{topic}}"),
        )
        .series(
            "Partitions paused (per 5 min)",
            (paused, "{{topic}} {{cause}}"),
            description="outage: the store or Kafka did not answer; record: a failing record's backoff",
        )
        .series(
            "Batches folded whole or handed back per second",
            (folded, "{{group}} {{result}}"),
            unit="ops",
            description="fallback: a fold failed and its batch went record by record (contention)",
        )
        .series(
            "Records per batch by group",
            (batch_size, "{{group}}"),
            description="near the batch limit the group is behind; a few, it keeps up, at a cost per batch",
        )
        .series("Published per second (FastStream)", (published, "{{destination}}"), unit="ops")
    )


def _http(board: Board, service: str) -> Board:
    where = f'{{service="{service}"}}'
    requests = f"sum by (method, route, status) (rate(vouchers_http_request_seconds_count{where}{RATE}))"
    return (
        board.row("HTTP")
        .series(
            "Requests per second by route and status",
            (requests, "{{method}} {{route}} {{status}}"),
            unit="reqps",
        )
        .series(
            "Latency p50 / p99 by route",
            (_p("0.5", "vouchers_http_request_seconds", "method, route", where), "p50 {{method}} {{route}}"),
            (_p("0.99", "vouchers_http_request_seconds", "method, route", where), "p99 {{method}} {{route}}"),
            unit="s",
        )
    )


BY_STATUS = 'max by (status) (vouchers_applications{service="intake"})'


def _verdicts(check: str, by: str = "outcome") -> str:
    return f'sum by ({by}) (rate(vouchers_verdicts_total{{check=~"{check}"}}{RATE})) * 60'


def _last_hour(metric: str, where: str) -> str:
    return f"sum(increase({metric}{{{where}}}[1h]))"


def overview() -> Board:
    board = Board(
        "vouchers-overview",
        "Compute vouchers: overview",
        "The filing peak at a glance: applications by status, verdicts, money, lag and trouble.",
    )
    filed = (
        'sum(rate(vouchers_http_request_seconds_count{route="/v1/applications",method="POST",'
        f'status="202"}}{RATE})) * 60'
    )
    error_share = (
        f'sum by (service) (rate(vouchers_messages_handled_total{{result!="ok"}}{RATE})) / '
        f"sum by (service) (rate(vouchers_messages_handled_total{RATE}))"
    )
    board.row("Applications")
    board.stat("Filed per minute", filed)
    board.stat(
        "Reserved (CNY)",
        "sum(vouchers_reserved_cny_total) - sum(vouchers_released_cny_total)",
        unit="currencyCNY",
        description="on applicants' yearly ledgers, net of releases",
    )
    board.stat("Granted (CNY)", "sum(vouchers_granted_cny_total)", unit="currencyCNY")
    board.stat("Dead letters (1h)", "sum(increase(vouchers_dlq_messages_total[1h]))")
    board.stat(
        "Grants without reservation (24h)",
        "sum(increase(vouchers_unreserved_grants_total[24h]))",
        description="approvals the ledger refused: nothing or another amount reserved; must be 0",
    )
    board.bars("Applications by status", BY_STATUS, "{{status}}")
    board.series(
        "Verdicts per minute by check and outcome",
        (_verdicts(".+", "check, outcome"), "{{check}} {{outcome}}"),
        stacked=True,
    )
    board.row("Keeping up")
    board.series("Consumer lag by group (records)", ("sum by (group) (vouchers_consumer_lag)", "{{group}}"))
    board.series(
        "Intake p99 latency by route",
        (
            _p("0.99", "vouchers_http_request_seconds", "method, route", '{service="intake"}'),
            "{{method}} {{route}}",
        ),
        unit="s",
    )
    board.series("Share of records retried or parked", (error_share, "{{service}}"), unit="percentunit")
    board.series("Services up", ('up{job="vouchers"}', "{{service}}"))
    board.row("Deadlines")
    board.series(
        "Open cases past 50 and 60 working days",
        ("max by (mark) (vouchers_open_cases_past_mark)", "past {{mark}} working days"),
        description="the guide's limit is 60 working days from filing",
    )
    board.series(
        "Outbox backlog",
        ("max by (service) (vouchers_outbox_backlog)", "{{service}}"),
        description="events stored but not yet published; the relay republishes them",
    )
    board.row("Store")
    board.series(
        "Store round trips per second by service",
        (f"sum by (service) (rate(vouchers_store_commands_total{RATE}))", "{{service}}"),
        unit="ops",
        description="counted where STORE_COMMAND_COUNTS=1 (make bench turns it on)",
    )
    board.series(
        "Store bytes per second by service",
        (f"sum by (service) (rate(vouchers_store_command_bytes_total{RATE}))", "{{service}}"),
        unit="Bps",
        description="sent and received, where STORE_COMMAND_COUNTS=1",
    )
    board.series(
        "Store time to a reply by service (mean)",
        (
            f"sum by (service) (rate(vouchers_store_command_seconds_total{RATE}))"
            f" / sum by (service) (rate(vouchers_store_commands_total{RATE}))",
            "{{service}}",
        ),
        unit="s",
        description="from a command's send to its reply, where STORE_COMMAND_COUNTS=1; rising "
        "with the same round trips, the store (or the machine under it) is the queue",
    )
    board.series(
        "Store documents written per second by service and write",
        (
            f"sum by (service, command) (rate(vouchers_store_command_documents_total{RATE}))",
            "{{service}} {{command}}",
        ),
        unit="ops",
        description="documents inserted, updated or replaced, and deleted, where "
        "STORE_COMMAND_COUNTS=1; on the local store a replacement costs about ten inserts",
    )
    return board


def intake() -> Board:
    board = Board(
        "vouchers-intake", "Compute vouchers: intake", "Filing API, outbox relay and status read model."
    )
    board.row("Applications")
    board.bars("Applications by status", BY_STATUS, "{{status}}")
    board.series("Outbox backlog", ('max(vouchers_outbox_backlog{service="intake"})', "backlog"))
    _http(board, "intake")
    return _consumers(board, "intake", "intake-.*")


def eligibility() -> Board:
    board = Board(
        "vouchers-eligibility",
        "Compute vouchers: eligibility",
        "Conflict-of-interest check, rule book and yearly ledger.",
    )
    board.row("Rules and verdicts")
    board.bars(
        "Rule outcomes in the last hour (failed and for review)",
        'sum by (rule, result) (increase(vouchers_rule_outcomes_total{result!="pass"}[1h]))',
        "{{rule}} {{result}}",
    )
    board.series(
        "Verdicts per minute",
        (_verdicts("eligibility|conflict_of_interest", "check, outcome"), "{{check}} {{outcome}}"),
        stacked=True,
    )
    board.row("Yearly ledger")
    board.stat("Reserved (CNY)", "sum(vouchers_reserved_cny_total)", unit="currencyCNY")
    board.stat("Released (CNY)", "sum(vouchers_released_cny_total)", unit="currencyCNY")
    board.stat("Granted (CNY)", "sum(vouchers_granted_cny_total)", unit="currencyCNY")
    board.stat("Rule failures (1h)", _last_hour("vouchers_rule_outcomes_total", 'result="fail"'))
    return _consumers(board, "eligibility", "eligibility-.*")


def verification() -> Board:
    board = Board(
        "vouchers-verification",
        "Compute vouchers: verification",
        "Materials, audit QR codes at the CPA platform and consent records.",
    )
    board.row("Verdicts")
    board.series(
        "Verification outcomes per minute",
        (_verdicts("verification"), "{{outcome}}"),
        stacked=True,
        description="pending: a QR code the CPA platform has not answered yet",
    )
    board.stat(
        "Verified (1h)", _last_hour("vouchers_verdicts_total", 'check="verification",outcome="verified"')
    )
    board.stat(
        "Pending (1h)", _last_hour("vouchers_verdicts_total", 'check="verification",outcome="pending"')
    )
    _http(board, "verification")
    return _consumers(board, "verification", "verification.*")


def notification() -> Board:
    board = Board(
        "vouchers-notification",
        "Compute vouchers: notification",
        "Case decisions, public notice, objections and letters.",
    )
    board.row("Cases")
    board.series("Case decisions per minute", (_verdicts("case"), "{{outcome}}"), stacked=True)
    board.series(
        "Open cases past 50 and 60 working days",
        ('max by (mark) (vouchers_open_cases_past_mark{service="notification"})', "past {{mark}}"),
    )
    board.row("Letters")
    board.series(
        "Letters per 5 minutes by kind, channel and result",
        (
            "sum by (kind, channel, result) (increase(vouchers_letters_total[5m]))",
            "{{kind}} {{channel}} {{result}}",
        ),
    )
    board.stat("Letters failed (1h)", _last_hour("vouchers_letters_total", 'result="failed"'))
    _http(board, "notification")
    return _consumers(board, "notification", "notification-.*")


BOARDS = {
    "overview": overview,
    "intake": intake,
    "eligibility": eligibility,
    "verification": verification,
    "notification": notification,
}


def rendered() -> dict[str, str]:
    return {
        f"{name}.json": json.dumps(build().render(), indent=2, ensure_ascii=False) + "\n"
        for name, build in BOARDS.items()
    }


def main(argv: list[str]) -> int:
    stale = []
    for name, text in rendered().items():
        path = OUT / name
        current = path.read_text("utf-8") if path.is_file() else None
        if current == text:
            continue
        if "--check" in argv:
            stale.append(name)
        else:
            OUT.mkdir(exist_ok=True)
            path.write_text(text, "utf-8")
            print(f"wrote {path}")
    for name in stale:
        print(f"{OUT / name}: stale (run `make dashboards`)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
