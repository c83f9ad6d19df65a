"""The wording of every finding, kept by key: a finding carries its key and its figures, and
whoever shows it (the read model's answers, the letters, the console) renders both languages.

A wording is a function of the finding's arguments (strings) to its Chinese and English text.
Rendering is tolerant, as readers are of events: a key this reader does not know, or arguments
that do not fit its wording, still give a text that names the key and the figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

Wording = Callable[..., tuple[str, str]]
WORDED: Final = "worded"
"""The key of a finding that carries its texts as they were written (`zh`, `en`): stored and
published before findings were worded by key, or given by a test."""

_WORDINGS: dict[str, Wording] = {}


@dataclass(frozen=True)
class Text:
    """A wording's key and the arguments it is rendered with."""

    key: str
    args: dict[str, str] = field(default_factory=dict)


def wording(key: str) -> Callable[[Wording], Wording]:
    """Register the wording of `key`; a key is registered once."""

    def register(fn: Wording) -> Wording:
        if key in _WORDINGS:
            raise ValueError(f"wording {key} is registered twice")
        _WORDINGS[key] = fn
        return fn

    return register


def say(key: str, **args: str) -> Text:
    """The text of `key` with these arguments; the key must be registered."""
    if key not in _WORDINGS:
        raise KeyError(f"no wording is registered for {key}")
    return Text(key, args)


def render(key: str, args: Mapping[str, str]) -> tuple[str, str]:
    """The Chinese and English text of a finding."""
    if key == WORDED:
        zh = str(args.get("zh", ""))
        return zh, str(args.get("en", zh))
    fn = _WORDINGS.get(key)
    if fn is not None:
        try:
            return fn(**args)
        except (TypeError, LookupError, ValueError):
            pass
    figures = "; ".join(f"{k}={v}" for k, v in sorted(args.items()))
    fallback = f"{key}（{figures}）" if figures else key
    return fallback, fallback


def codes(joined: str) -> list[str]:
    """The codes (or ids) of a list argument, which travels joined with ","."""
    return [code for code in joined.split(",") if code]


def registered() -> frozenset[str]:
    """Every registered key."""
    return frozenset(_WORDINGS)
