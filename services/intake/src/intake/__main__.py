"""`python -m intake`: serve the API on INTAKE_HTTP_PORT."""

from vouchers_shared.serving import serve

from intake.app import create_app
from intake.config import Settings

if __name__ == "__main__":
    settings = Settings()
    serve(
        create_app(settings),
        settings.intake_http_host,
        settings.intake_http_port,
        settings.graceful_timeout_s,
    )
