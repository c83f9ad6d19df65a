"""The Kafka broker every service uses: acks=all, idempotent producer tuned for throughput,
never ACK_FIRST."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from prometheus_client import REGISTRY

from vouchers_shared.settings import CommonSettings
from vouchers_shared.topics import ALL_TOPICS, REFDATA_TOPICS, is_dlq_topic

log = structlog.get_logger()
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# The broker-wide policy: on error the offset is not committed and the record comes again.
BROKER_ACK_POLICY = AckPolicy.NACK_ON_ERROR
# Throughput without giving up a guarantee: a send waits up to `linger_ms` for others bound
# to the same partition, and a partition's batch may grow to `max_batch_size` (aiokafka's
# defaults: no wait, 16 KiB). The records of a consumer batch are handled side by side, so
# their events leave in a few requests instead of one each. No compression: with the suite's
# event sizes on the benchmark's Kafka ceiling, lz4 and zstd (which need cramjam, not in the
# lock) cost more CPU than the bytes they saved (deploy/bench/README.md).
PRODUCER_TUNING: dict[str, Any] = {"linger_ms": 5, "max_batch_size": 256 * 1024}
PRODUCER_GUARANTEES: dict[str, Any] = {"acks": "all", "enable_idempotence": True}


def ssl_context(settings: CommonSettings) -> ssl.SSLContext | None:
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    return ssl.create_default_context(cafile=settings.kafka_ssl_cafile)


def broker_security(settings: CommonSettings) -> BaseSecurity | None:
    """SASL/SCRAM and TLS from settings; a real deployment never runs plaintext."""
    context = ssl_context(settings)
    mechanism = settings.kafka_sasl_mechanism
    if settings.kafka_security_protocol.startswith("SASL"):
        if not (mechanism and settings.kafka_sasl_username and settings.kafka_sasl_password):
            raise ValueError("SASL needs KAFKA_SASL_MECHANISM, _USERNAME and _PASSWORD")
        user, password = settings.kafka_sasl_username, settings.kafka_sasl_password.get_secret_value()
        kinds: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
            "SCRAM-SHA-256": SASLScram256,
            "SCRAM-SHA-512": SASLScram512,
            "PLAIN": SASLPlaintext,
        }
        return kinds[mechanism](
            user, password, ssl_context=context, use_ssl=settings.kafka_security_protocol == "SASL_SSL"
        )
    if context is not None:
        return BaseSecurity(ssl_context=context, use_ssl=True)
    return None


def process_client_id(service: str, host: str | None = None, pid: int | None = None) -> str:
    """The Kafka client id of this process: the service, then what tells its processes apart
    (the host, a pod's name in Kubernetes, and the process id).

    Every consumer group of a process joins under it, and the broker prefixes a member's id
    with its client id: the range assignor, which orders a group's members by id, then orders
    a service's processes the same way in each of its groups, and gives each process the same
    partition numbers in all of them. An applicant's records, keyed alike in every topic, so
    meet one process in every stage, which can keep what the stage before it wrote. Under one
    client id for all, each group's order fell to the random rest of the member ids: with two
    processes, eligibility's rule stage read back from the store most of the applications that
    the other process's conflict-of-interest stage had just written."""
    return f"{service}-{host or socket.gethostname()}-{pid or os.getpid()}"


def build_broker(settings: CommonSettings, service: str) -> KafkaBroker:
    """A broker with the delivery guarantees of the suite; nothing connects until start()."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=process_client_id(service),
        **PRODUCER_GUARANTEES,
        **PRODUCER_TUNING,
        max_request_size=MAX_MESSAGE_BYTES,
        ack_policy=BROKER_ACK_POLICY,
        graceful_timeout=settings.graceful_timeout_s,
        security=broker_security(settings),
        middlewares=[
            KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service, metrics_prefix="faststream")
        ],
        logger=None,
    )


def admin_options(settings: CommonSettings) -> dict[str, Any]:
    """The same connection and security settings for aiokafka's own clients."""
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism or "PLAIN",
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        ),
        "ssl_context": ssl_context(settings),
    }


async def ensure_topics(settings: CommonSettings, topics: tuple[str, ...] = ALL_TOPICS) -> None:
    """Create the suite's topics if missing: 12 partitions, reference data compacted, dead
    letters kept for a limited time (`topic_configs`); topics already there are left as they are."""
    admin = AIOKafkaAdminClient(**admin_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=topic,
                num_partitions=settings.kafka_topic_partitions,
                replication_factor=settings.kafka_replication_factor,
                topic_configs=topic_configs(topic, settings),
            )
            for topic in topics
            if topic not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another replica was first
                await admin.create_topics(wanted)
            log.info("topics_created", count=len(wanted))
    finally:
        await admin.close()


def topic_configs(topic: str, settings: CommonSettings) -> dict[str, str]:
    """What a topic is created with: reference data compacted, dead letters kept for
    KAFKA_DLQ_RETENTION_HOURS only (they hold personal data), the rest on the broker's retention."""
    configs = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}
    if topic in REFDATA_TOPICS:
        configs["cleanup.policy"] = "compact"
    if is_dlq_topic(topic):
        configs["retention.ms"] = str(settings.kafka_dlq_retention_hours * 3_600_000)
    return configs
