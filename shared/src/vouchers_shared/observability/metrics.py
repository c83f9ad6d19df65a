"""Domain metrics every service may export. Labels are small fixed sets, never applicant ids."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DLQ_MESSAGES = Counter("vouchers_dlq_messages_total", "Messages parked on a dead-letter topic", ["topic"])
TRANSIENT_RETRIES = Counter(
    "vouchers_transient_retries_total", "Retries after the store or broker did not answer", ["topic"]
)
RETRIES_EXHAUSTED = Counter(
    "vouchers_retries_exhausted_total",
    "Records parked because they kept failing while the store and broker answered",
    ["topic"],
)
BATCHES_FOLDED = Counter(
    "vouchers_batches_folded_total",
    "Batches handled whole by a folding handler (folded) or handed back one record at a time "
    "(fallback) after it failed",
    ["group", "result"],
)
BATCH_RECORDS = Histogram(
    "vouchers_batch_records",
    "Records in each batch a consumer takes: near the batch limit, the group is behind; a few, it "
    "keeps up, and pays its per-batch reads and writes for those few",
    ["group"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500),
)
PARTITION_PAUSES = Counter(
    "vouchers_partition_pauses_total",
    "Partitions rewound and paused until a record is tried again, by cause (record or outage)",
    ["topic", "cause"],
)
MESSAGES_HANDLED = Counter(
    "vouchers_messages_handled_total", "Messages handled by outcome", ["topic", "result"]
)
HANDLER_SECONDS = Histogram(
    "vouchers_handler_seconds",
    "Time to handle one message",
    ["topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CONSUMER_LAG = Gauge(
    "vouchers_consumer_lag",
    "Records behind the partition's high watermark (highwater - position)",
    ["group", "topic", "partition"],
)
CONSUMER_MEMBERS = Gauge(
    "vouchers_consumer_assigned_partitions", "Partitions assigned to this process", ["group", "topic"]
)
HTTP_REQUEST_SECONDS = Histogram(
    "vouchers_http_request_seconds",
    "HTTP request latency by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RULE_OUTCOMES = Counter(
    "vouchers_rule_outcomes_total", "Rule outcomes by rule id and result", ["rule", "result"]
)
VERDICTS = Counter("vouchers_verdicts_total", "Verdicts by check and outcome", ["check", "outcome"])
VOUCHERS_RESERVED_CNY = Counter("vouchers_reserved_cny_total", "CNY reserved on applicants' yearly ledgers")
VOUCHERS_RELEASED_CNY = Counter("vouchers_released_cny_total", "CNY released from applicants' yearly ledgers")
VOUCHERS_GRANTED_CNY = Counter("vouchers_granted_cny_total", "CNY granted as approved vouchers")
UNRESERVED_GRANTS = Counter(
    "vouchers_unreserved_grants_total",
    "Approvals refused by the ledger: no reservation behind them, or another amount",
)
APPLICATIONS_BY_STATUS = Gauge("vouchers_applications", "Applications by current status", ["status"])
OUTBOX_BACKLOG = Gauge("vouchers_outbox_backlog", "Events stored but not yet published", ["service"])
# "mark" is a number of working days since filing (50: the warning, 60: the guide's limit); a unit
# of days in the name would be one Prometheus has no base unit for.
CASES_OVER_LIMIT = Gauge(
    "vouchers_open_cases_past_mark", "Open cases past a mark of working days since filing", ["mark"]
)
LETTERS = Counter(
    "vouchers_letters_total", "Letters sent by kind, channel and outcome", ["kind", "channel", "result"]
)
