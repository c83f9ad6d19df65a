"""Topics of their own for a test, on the test broker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def create_topics(
    bootstrap: str, names: Sequence[str], partitions: int, configs: Mapping[str, str] | None = None
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        settings = dict(configs or {})
        await admin.create_topics([NewTopic(n, partitions, 1, topic_configs=settings) for n in names])
    finally:
        await admin.close()
