"""Running a service: its ASGI app under uvicorn, on uvloop's event loop and httptools' HTTP
parser (both C), which take less CPU per request and per Kafka or store round trip than
asyncio's own loop and the pure-Python h11 parser. Named, not left to uvicorn's `auto`, so a
missing one stops the service at start instead of slowing it silently.

The garbage collector is set for a long-running process before the app starts:

- what importing and building the app made (modules, classes, models, routes: most of the
  objects the collector tracks) is frozen (`gc.freeze`), so a full collection no longer walks
  them all, tens of milliseconds each, dozens of times a run;
- the youngest generation is collected every `YOUNG_COLLECTION_EVERY` allocations instead of
  CPython's 700, so the objects of a record or a request in hand mostly die by reference count
  before a collection sees them, and fewer live long enough to be promoted and walked again.
"""

from __future__ import annotations

import gc
from typing import Any

import uvicorn

YOUNG_COLLECTION_EVERY = 10_000


def serve(app: Any, host: str, port: int, graceful_timeout_s: float) -> None:
    settle_heap()
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,  # vouchers_shared.observability.logging configures every logger
        timeout_graceful_shutdown=int(graceful_timeout_s),
    )


def settle_heap() -> None:
    """Freeze what exists now and collect the young generation less often (see above)."""
    gc.collect()  # what is garbage already is not frozen with the rest
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, oldest)
