"""Transport security from settings reaches the Kafka and MongoDB clients."""

from __future__ import annotations

import functools
import ssl

import pytest
from faststream.security import BaseSecurity, SASLScram512
from vouchers_shared.messaging.kafka import admin_options, broker_security, build_broker
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import connect


def test_plaintext_is_the_local_default_and_carries_no_security() -> None:
    assert broker_security(CommonSettings()) is None


def test_sasl_scram_over_tls_reaches_the_broker_and_the_admin_client() -> None:
    settings = CommonSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="svc",
        kafka_sasl_password="secret",
    )
    security = broker_security(settings)
    assert isinstance(security, SASLScram512)
    assert security.password == "secret"
    assert security.use_ssl is True
    assert isinstance(security.ssl_context, ssl.SSLContext)
    options = admin_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "svc"
    assert options["sasl_plain_password"] == "secret"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    broker = build_broker(settings, "test")
    builder = broker.config.broker_config.builder
    assert isinstance(builder, functools.partial)
    consumer_options = builder.keywords
    assert consumer_options["security_protocol"] == "SASL_SSL"
    assert consumer_options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert consumer_options["sasl_plain_username"] == "svc"
    assert consumer_options["sasl_plain_password"] == "secret"


def test_the_sasl_password_is_never_shown_with_the_settings() -> None:
    settings = CommonSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="svc",
        kafka_sasl_password="pa55-w0rd",
    )
    for shown in (repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())):
        assert "pa55-w0rd" not in shown
    assert admin_options(CommonSettings())["sasl_plain_password"] is None


def test_tls_without_sasl_uses_an_ssl_context() -> None:
    security = broker_security(CommonSettings(kafka_security_protocol="SSL"))
    assert type(security) is BaseSecurity
    assert security.use_ssl is True


def test_sasl_without_credentials_is_refused() -> None:
    with pytest.raises(ValueError, match="SASL needs"):
        broker_security(
            CommonSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-256")
        )


async def test_mongodb_tls_setting_reaches_the_client() -> None:
    client = connect(CommonSettings(mongodb_tls=True), "test")
    try:
        assert client.options.pool_options._ssl_context is not None
    finally:
        await client.close()
