"""Notification's settings."""

from __future__ import annotations

from pydantic import Field, SecretStr
from vouchers_shared.settings import CommonSettings


class Settings(CommonSettings):
    notification_http_port: int = 8083
    notification_http_host: str = "127.0.0.1"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_sender: str = "noreply@vouchers.example.cn"
    letter_webhook_url: str | None = None
    letter_webhook_secret: SecretStr | None = None
    check_timeout_s: float = Field(default=3600.0, gt=0, description="a check silent this long → review")
    sweep_interval_s: float = Field(default=5.0, gt=0)
    letter_retry_first_s: float = Field(default=2.0, gt=0, description="first wait after a failed send")
    letter_retry_max_s: float = Field(default=300.0, gt=0, description="longest wait between sends")
    objections_per_minute_per_client: int = Field(default=10, ge=1, description="per client address")
    objections_per_minute_per_contact: int = Field(default=3, ge=1, description="per contact given")
    open_objections_per_application: int = Field(default=20, ge=1, le=500,
                                                 description="more are refused (409) until some are resolved")
