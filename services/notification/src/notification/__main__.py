"""`python -m notification`: decisions, notices and letters on NOTIFICATION_HTTP_PORT."""

from vouchers_shared.serving import serve

from notification.app import create_app
from notification.config import Settings

if __name__ == "__main__":
    settings = Settings()
    serve(
        create_app(settings),
        settings.notification_http_host,
        settings.notification_http_port,
        settings.graceful_timeout_s,
    )
