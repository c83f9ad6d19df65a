"""Settings every service reads from the environment; each service extends `ServiceSettings`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vouchers_shared import signing_key


def _own_key(key: SecretStr) -> SecretStr:
    why = signing_key.refusal(key.get_secret_value())
    if why is not None:
        raise ValueError(f"VOUCHERS_TOKEN_KEY {why}; {signing_key.HOW_TO_MAKE_ONE}")
    return key


SigningKey = Annotated[SecretStr, AfterValidator(_own_key)]
"""A token-signing key of the installation's own (see `vouchers_shared.signing_key`)."""


class CommonSettings(BaseSettings):
    # Settings carry secrets: a refused value is named, never echoed into the error.
    model_config = SettingsConfigDict(env_file=None, extra="ignore", hide_input_in_errors=True)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: str = Field(
        default="PLAINTEXT", pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$"
    )
    kafka_sasl_mechanism: str | None = Field(default=None, pattern="^(SCRAM-SHA-256|SCRAM-SHA-512|PLAIN)$")
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    kafka_topic_partitions: int = Field(default=12, ge=1, le=1000)
    kafka_replication_factor: int = Field(default=1, ge=1, le=7)
    # A parked record carries the applicant's personal data, so a dead-letter topic keeps it no
    # longer than it takes to look at it and replay it: the longest public holiday (8 days)
    # and two working days after it.
    kafka_dlq_retention_hours: int = Field(default=240, ge=1, le=24 * 90)
    mongodb_url: str = "mongodb://127.0.0.1:27017/?retryWrites=false"
    mongodb_tls: bool = False
    mongodb_tls_ca_file: str | None = None
    # The local FerretDB keeps 100 SQLite connections per database and a write holds one while
    # it waits for another: a hundred writes at once on one database would wait for each other
    # for ever. 16 commands in flight per process (with vouchers_shared.store's update turns)
    # keep three processes of a service below that.
    mongodb_max_pool_size: int = Field(
        default=16, ge=1, le=1000, description="commands in flight per process"
    )
    store_command_counts: bool = Field(
        default=False, description="count store round trips per command and collection"
    )
    voucher_program: str = "2026"
    voucher_clock: str | None = None
    vouchers_local_mode: bool = False
    vouchers_token_key: SigningKey | None = None
    log_level: str = "INFO"
    graceful_timeout_s: float = 20.0
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="413 past this")
    # A record that keeps failing while the store and broker answer (see messaging/retry.py).
    consumer_max_attempts: int = Field(default=8, ge=1, le=1000)
    consumer_retry_budget_s: float = Field(default=120.0, gt=0)
    consumer_backoff_first_s: float = Field(default=0.2, gt=0)
    consumer_backoff_max_s: float = Field(default=30.0, gt=0)
    consumer_retry_in_place_s: float = Field(default=1.0, ge=0)

    def signing_key(self) -> str:
        """The token-signing key; refuses to go on without one."""
        if self.vouchers_token_key is None:
            raise ValueError(f"VOUCHERS_TOKEN_KEY is not set; {signing_key.HOW_TO_MAKE_ONE}")
        return self.vouchers_token_key.get_secret_value()


class ServiceSettings(CommonSettings):
    """What a service process reads: it does not start without a token key of its own."""

    @model_validator(mode="after")
    def _a_token_key_of_its_own(self) -> ServiceSettings:
        self.signing_key()
        return self
