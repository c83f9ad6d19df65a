"""`python -m notification`: decisions, notices and letters on NOTIFICATION_HTTP_PORT."""

import uvicorn

from notification.app import create_app
from notification.config import Settings

if __name__ == "__main__":
    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host=settings.notification_http_host,
        port=settings.notification_http_port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
    )
