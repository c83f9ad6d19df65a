"""The bureau's console: server-rendered pages under /console/ for the staff who receive,
review, verify and decide applications (窗口受理、初审、核查、审定).

Operators act; auditors read everything and act on nothing; submitters are refused. Pages read
notification's own store and service layer, and ask intake and verification over their HTTP
APIs with the signed-in member's token; every action goes through `notification.operations`,
`notification.objections` or `notification.letters_admin`.
"""

from __future__ import annotations

from fastapi import FastAPI

from notification.console import actions, pages, signing_in
from notification.console.web import Console, install


def mount(app: FastAPI, console: Console) -> None:
    """Add the console's pages and forms, and its refusal pages, to the service's app."""
    install(app)
    for build in (signing_in.build, pages.build, actions.build):
        app.include_router(build(console))


__all__ = ["Console", "mount"]
