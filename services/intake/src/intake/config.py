"""Intake's settings."""

from __future__ import annotations

from pydantic import Field
from vouchers_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    intake_http_port: int = 8080
    intake_http_host: str = "127.0.0.1"
    outbox_relay_interval_s: float = Field(default=2.0, gt=0)
    outbox_relay_grace_s: float = Field(default=5.0, ge=0)
    submissions_per_minute_per_token: int = Field(default=600, ge=1)
