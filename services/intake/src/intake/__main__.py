"""`python -m intake`: serve the API on INTAKE_HTTP_PORT."""

import uvicorn

from intake.app import create_app
from intake.config import Settings

if __name__ == "__main__":
    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host=settings.intake_http_host,
        port=settings.intake_http_port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
    )
