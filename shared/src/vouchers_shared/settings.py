"""Settings every service reads from the environment; each service extends this class."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_PLACEHOLDER_KEY = "local-development-signing-key-not-for-production-use"


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: str = Field(default="PLAINTEXT",
                                         pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$")
    kafka_sasl_mechanism: str | None = Field(default=None,
                                             pattern="^(SCRAM-SHA-256|SCRAM-SHA-512|PLAIN)$")
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: str | None = None
    kafka_topic_partitions: int = Field(default=12, ge=1, le=1000)
    kafka_replication_factor: int = Field(default=1, ge=1, le=7)
    mongodb_url: str = "mongodb://127.0.0.1:27017/?retryWrites=false"
    mongodb_tls: bool = False
    mongodb_tls_ca_file: str | None = None
    store_command_counts: bool = Field(default=False,
                                       description="count store round trips per command and collection")
    voucher_program: str = "2026"
    voucher_clock: str | None = None
    vouchers_local_mode: bool = True
    vouchers_token_key: str = LOCAL_PLACEHOLDER_KEY
    log_level: str = "INFO"
    graceful_timeout_s: float = 20.0
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="413 past this")
    # A record that keeps failing while the store and broker answer (see messaging/retry.py).
    consumer_max_attempts: int = Field(default=8, ge=1, le=1000)
    consumer_retry_budget_s: float = Field(default=120.0, gt=0)
    consumer_backoff_first_s: float = Field(default=0.2, gt=0)
    consumer_backoff_max_s: float = Field(default=30.0, gt=0)
    consumer_retry_in_place_s: float = Field(default=1.0, ge=0)

    @model_validator(mode="after")
    def _no_placeholder_secrets_outside_local_mode(self) -> CommonSettings:
        if not self.vouchers_local_mode and self.vouchers_token_key == LOCAL_PLACEHOLDER_KEY:
            raise ValueError("VOUCHERS_TOKEN_KEY must be set outside local mode")
        if not self.vouchers_local_mode and len(self.vouchers_token_key) < 32:
            raise ValueError("VOUCHERS_TOKEN_KEY must be at least 32 characters")
        return self
