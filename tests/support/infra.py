"""Kafka and a MongoDB-protocol store for the tests, from the first source that works.

1. `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URL`, when both are set (e.g. a `make up` suite);
2. containers (`apache/kafka`, `mongo`) when a Docker engine answers;
3. local processes (Apache Kafka, FerretDB) started by deploy/local/suitectl.py on free
   ports with their data in a temporary directory, so runs never collide.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import suitectl

KAFKA_IMAGE = "apache/kafka:4.1.0"
MONGO_IMAGE = "mongo:7"


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    mongodb_url: str
    source: str  # "env", "docker" or "local"


def docker_available() -> bool:
    """True when a Docker engine answers a ping within a couple of seconds."""
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no SDK, no socket, no engine: all mean "no Docker"
        return False


@contextmanager
def provide_infra() -> Iterator[Infra]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    url = os.environ.get("MONGODB_URL")
    if bootstrap and url:
        yield Infra(bootstrap, url, "env")
    elif docker_available():
        with docker_infra() as infra:
            yield infra
    else:
        with local_infra() as infra:
            yield infra


@contextmanager
def local_infra(attempts: int = 3) -> Iterator[Infra]:
    suitectl.install()
    for attempt in range(1, attempts + 1):
        with ExitStack() as stack:
            try:
                infra = _start_local(stack)
            except suitectl.SuiteError as exc:
                # A free port can be taken between choosing it and the server binding it.
                if attempt == attempts or "already in use" not in str(exc).lower():
                    raise
                continue
            yield infra
            return


def _start_local(stack: ExitStack) -> Infra:
    workdir = Path(tempfile.mkdtemp(prefix="vouchers-infra-"))
    stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    kafka_port, controller_port, store_port = suitectl.free_ports(3)
    kafka = suitectl.start_kafka(workdir / "kafka", kafka_port, controller_port, workdir / "kafka.log")
    stack.callback(suitectl.stop, kafka)
    store = suitectl.start_store(workdir / "store", store_port, workdir / "store.log")
    stack.callback(suitectl.stop, store)
    suitectl.wait_ready(kafka)
    suitectl.wait_ready(store)
    return Infra(kafka.address, store.address, "local")


@contextmanager
def docker_infra() -> Iterator[Infra]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.mongodb import MongoDbContainer

    # The broker must advertise the host port clients use, so that port is fixed up front.
    (port,) = suitectl.free_ports(1)
    kafka = DockerContainer(KAFKA_IMAGE).with_bind_ports(9092, port)
    host = kafka.get_docker_client().host()
    kafka.with_envs(
        KAFKA_NODE_ID="1",
        KAFKA_PROCESS_ROLES="broker,controller",
        KAFKA_LISTENERS="PLAINTEXT://:9092,CONTROLLER://:9093",
        KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://{host}:{port}",
        KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
        KAFKA_NUM_PARTITIONS="12",
    )
    with kafka, MongoDbContainer(MONGO_IMAGE) as mongo:
        bootstrap = f"{host}:{port}"
        suitectl.wait_until(lambda: suitectl.kafka_ready(bootstrap), f"kafka container {bootstrap}")
        yield Infra(bootstrap, mongo.get_connection_url(), "docker")
