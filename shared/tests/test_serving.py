"""How a service process runs: uvicorn on uvloop and httptools, after its heap is settled."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
import uvloop
from vouchers_shared import serving


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_restored")
def test_serve_settles_the_heap_before_uvicorn_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, Any] = {}

    def run(app: Any, **options: Any) -> None:
        collected = {id(o) for o in gc.get_objects()}
        started.update(options, app_collected=id(app) in collected, young=gc.get_threshold()[0])

    monkeypatch.setattr(uvicorn, "run", run)
    app: dict[str, list[str]] = {"routes": []}  # a container the collector tracks, built before
    assert gc.is_tracked(app)
    serving.serve(app, "127.0.0.1", 8000, 20.0)
    assert started["app_collected"] is False  # frozen before uvicorn ran
    assert started["young"] == serving.YOUNG_COLLECTION_EVERY
    assert (started["host"], started["port"], started["timeout_graceful_shutdown"]) == ("127.0.0.1", 8000, 20)


@pytest.mark.usefixtures("collector_restored")
def test_frozen_objects_are_left_out_of_collections() -> None:
    kept = [[] for _ in range(100)]
    serving.settle_heap()
    tracked = {id(o) for o in gc.get_objects()}
    assert not any(id(o) in tracked for o in kept)
    made_after: list[object] = []
    assert id(made_after) in {id(o) for o in gc.get_objects()}


def test_the_loop_and_parser_it_names_are_installed() -> None:
    config = uvicorn.Config(app=lambda *_: None, loop="uvloop", http="httptools", log_config=None)
    config.load()  # imports the HTTP protocol; a parser not installed fails here
    assert config.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"
    loop = uvloop.new_event_loop()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
