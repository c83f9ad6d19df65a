"""`python -m eligibility`: the consumers, with health and metrics on ELIGIBILITY_HTTP_PORT."""

import uvicorn

from eligibility.app import create_app
from eligibility.config import Settings

if __name__ == "__main__":
    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host=settings.eligibility_http_host,
        port=settings.eligibility_http_port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
    )
