"""The Jinja2 environment for letters and notice pages: HTML autoescaped, text as written."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from functools import cache

import cn2an
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

FEN = Decimal("0.01")


def _fen(amount: Decimal) -> Decimal:
    if amount < 0:
        raise ValueError(f"an amount cannot be negative: {amount}")
    return amount.quantize(FEN, rounding=ROUND_DOWN)


def amount_in_figures(amount: Decimal) -> str:
    """¥1,200,000.00"""
    return f"¥{_fen(amount):,.2f}"


def amount_in_capitals(amount: Decimal) -> str:
    """The amount in financial capitals (大写), e.g. 壹佰贰拾万元整, 壹拾万元零伍分."""
    return str(cn2an.an2cn(f"{_fen(amount):.2f}", "rmb"))


def chinese_date(d: date) -> str:
    """2026年5月20日"""
    return f"{d.year}年{d.month}月{d.day}日"


@cache
def environment() -> Environment:
    """Templates from the package; `.html.j2` autoescaped, undefined names are errors."""
    env = Environment(
        loader=PackageLoader("notification", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "html")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["figures"] = amount_in_figures
    env.filters["capitals"] = amount_in_capitals
    env.filters["cn_date"] = chinese_date
    return env
