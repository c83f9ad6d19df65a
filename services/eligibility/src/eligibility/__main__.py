"""`python -m eligibility`: the consumers, with health and metrics on ELIGIBILITY_HTTP_PORT."""

from vouchers_shared.serving import serve

from eligibility.app import create_app
from eligibility.config import Settings

if __name__ == "__main__":
    settings = Settings()
    serve(
        create_app(settings),
        settings.eligibility_http_host,
        settings.eligibility_http_port,
        settings.graceful_timeout_s,
    )
