"""Eligibility's settings."""

from __future__ import annotations

from vouchers_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    eligibility_http_port: int = 8081
    eligibility_http_host: str = "127.0.0.1"
