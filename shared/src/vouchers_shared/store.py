"""The document store through PyMongo's async API; works on MongoDB and FerretDB alike."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from vouchers_shared.settings import CommonSettings

Document = dict[str, Any]


def connect(settings: CommonSettings, app_name: str) -> AsyncMongoClient[Document]:
    """A client; nothing is sent until the first operation. TLS comes from settings."""
    options: dict[str, Any] = {
        "appname": app_name,
        "tz_aware": True,
        "serverSelectionTimeoutMS": 5000,
        "connectTimeoutMS": 5000,
    }
    if settings.mongodb_tls:
        options["tls"] = True
        if settings.mongodb_tls_ca_file:
            options["tlsCAFile"] = settings.mongodb_tls_ca_file
    return AsyncMongoClient(settings.mongodb_url, **options)


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:  # readiness only reports; the reason is in the store's own log
        return False
    return True
