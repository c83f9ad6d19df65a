"""`python -m verification`: the consumer, consent records API, health and metrics."""

import uvicorn

from verification.app import create_app
from verification.config import Settings

if __name__ == "__main__":
    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host=settings.verification_http_host,
        port=settings.verification_http_port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
    )
