"""`python -m verification`: the consumer, consent records API, health and metrics."""

from vouchers_shared.serving import serve

from verification.app import create_app
from verification.config import Settings

if __name__ == "__main__":
    settings = Settings()
    serve(
        create_app(settings),
        settings.verification_http_host,
        settings.verification_http_port,
        settings.graceful_timeout_s,
    )
