"""Verification's settings."""

from __future__ import annotations

from pydantic import Field, SecretStr
from vouchers_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    verification_http_port: int = 8082
    verification_http_host: str = "127.0.0.1"
    cpa_platform_url: str | None = Field(default=None, description="unset: answer from audit_reports")
    cpa_platform_token: SecretStr | None = None
    cpa_platform_timeout_s: float = 5.0
    cpa_platform_attempts: int = 3
    qr_retry_max_attempts: int = 6
    qr_retry_base_delay_s: float = 30.0
    qr_retry_cap_s: float = 900.0
    qr_retry_poll_s: float = 5.0
