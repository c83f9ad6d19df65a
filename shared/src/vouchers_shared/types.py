"""Value types that cross service boundaries: money, percentages, USCC codes."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumValidationError

FEN = Decimal("0.01")
# ASCII digits only, as the published pattern means (Python's \d also takes "１２０" and "١٢٠").
_MONEY_RE = re.compile(r"^\d{1,13}(\.\d{1,2})?$", re.ASCII)
_PCT_RE = re.compile(r"^\d{1,3}(\.\d{1,4})?$", re.ASCII)
MONEY_PATTERN = r"^\d{1,13}(\.\d{1,2})?$"
PCT_PATTERN = r"^\d{1,3}(\.\d{1,4})?$"


def round_down_to_fen(value: Decimal) -> Decimal:
    """Round a computed amount down to 0.01 CNY, as the rules require."""
    return value.quantize(FEN, rounding=ROUND_DOWN)


def _decimal_from_string(value: Any, pattern: re.Pattern[str], what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f'{what} must be a decimal string such as "1200000.00", not a number')
    if not pattern.match(value):
        raise ValueError(f"{what} must be a non-negative decimal string with at most two places")
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guards this
        raise ValueError(f"{what} is not a decimal") from exc


def _money(value: Any) -> Decimal:
    return _decimal_from_string(value, _MONEY_RE, "amount").quantize(FEN)


def _pct(value: Any) -> Decimal:
    pct = _decimal_from_string(value, _PCT_RE, "percentage")
    if pct > 100:
        raise ValueError("percentage must be between 0 and 100")
    return pct


def _uscc(value: str) -> str:
    try:
        return str(stdnum_uscc.validate(value))
    except StdnumValidationError as exc:
        raise ValueError(f"not a valid unified social credit code (GB 32100-2015): {exc}") from exc


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["1200000.00"]}),
]
"""Non-negative CNY amount: a JSON string with at most two decimal places, never a float."""

Percent = Annotated[
    Decimal,
    BeforeValidator(_pct),
    PlainSerializer(lambda v: f"{v:f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": PCT_PATTERN, "examples": ["35.00"]}),
]
"""Shareholding percentage, 0 to 100, as a decimal string."""

Rate = Annotated[
    Decimal,
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "examples": ["0.50"]}),
]


def is_uscc(value: str) -> bool:
    """Whether `value` is a unified social credit code with a valid check digit, as written."""
    try:
        return _uscc(value) == value
    except ValueError:
        return False


Uscc = Annotated[
    str,
    AfterValidator(_uscc),
    WithJsonSchema({"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"}),
]
"""Unified social credit code, check digit verified with python-stdnum."""

USCC_REGION_SHENZHEN = "4403"


def uscc_region(code: str) -> str:
    """The administrative-division code (characters 3 to 8) of a USCC."""
    return code[2:8]
