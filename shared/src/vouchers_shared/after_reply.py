"""Work a request starts and its answer need not wait for.

A request that has stored what it promises (a filing and its outbox) can answer at once and
leave the rest (publishing the outbox) to a task of its own. Such work must be safe to lose:
whatever it does not finish, something else finishes later (the outbox relay). At most `most`
tasks run at once: when that many are under way, `take` refuses and the request does the work
itself, so a slow broker slows the answers down instead of piling tasks up. At shutdown the
runtime lets the tasks under way finish within its graceful timeout (`Runtime.drain`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

MOST_AT_ONCE = 64


class AfterReply:
    def __init__(self, most: int = MOST_AT_ONCE) -> None:
        self._most = most
        self._tasks: set[asyncio.Task[None]] = set()

    def take(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> bool:
        """Start `work` in a task of its own; False (and nothing started) when `most` run."""
        if len(self._tasks) >= self._most:
            return False
        task = asyncio.create_task(work(), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def under_way(self) -> list[asyncio.Task[None]]:
        return list(self._tasks)
