"""Notification's settings."""

from __future__ import annotations

from pydantic import Field, SecretStr
from vouchers_shared.settings import ServiceSettings


class Settings(ServiceSettings):
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
    sweep_idle_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="between sweeps once nothing has come in for a round (at most "
        "a tenth of CHECK_TIMEOUT_S, at least SWEEP_INTERVAL_S)",
    )

    def sweep_idle_s(self) -> float:
        """The sweep's pace with nothing coming in: a check times out at most a tenth late."""
        return max(self.sweep_interval_s, min(self.sweep_idle_interval_s, self.check_timeout_s / 10))

    give_way_to_backlog_s: float = Field(
        default=60.0,
        ge=0,
        description="while records pile up before the cases consumer, letters and the sweep "
        "wait up to this long between rounds (0: never)",
    )
    letter_retry_first_s: float = Field(default=2.0, gt=0, description="first wait after a failed send")
    letter_retry_max_s: float = Field(default=300.0, gt=0, description="longest wait between sends")
    objections_per_minute_per_client: int = Field(default=10, ge=1, description="per client address")
    objections_per_minute_per_contact: int = Field(default=3, ge=1, description="per contact given")
    open_objections_per_application: int = Field(
        default=20, ge=1, le=500, description="more are refused (409) until some are resolved"
    )
    # The console reads the filed application from intake and the audit consents from
    # verification, over their HTTP APIs; by default on this host at the ports `make up` uses.
    intake_url: str | None = Field(default=None, description="default http://127.0.0.1:<INTAKE_HTTP_PORT>")
    verification_url: str | None = Field(
        default=None, description="default http://127.0.0.1:<VERIFICATION_HTTP_PORT>"
    )
    intake_http_port: int = 8080
    verification_http_port: int = 8082
    grafana_url: str = Field(default="http://127.0.0.1:3000", description="linked from the console")

    @property
    def intake_base_url(self) -> str:
        return self.intake_url or f"http://127.0.0.1:{self.intake_http_port}"

    @property
    def verification_base_url(self) -> str:
        return self.verification_url or f"http://127.0.0.1:{self.verification_http_port}"
