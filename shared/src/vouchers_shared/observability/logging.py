"""Structured JSON logs; personal data is masked before anything is written.

Every line is one JSON object with `service`, `level`, `timestamp` and `event`, plus
`application_id`, `event_id` and `correlation_id` while a Kafka record is being handled (bound
by the record processor). The standard library's records (uvicorn, aiokafka, pymongo) go
through the same processors, so they are JSON and masked too.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from datetime import date
from typing import Any

import structlog
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError
from structlog.typing import Processor

PERSONAL_KEYS = frozenset(
    {
        "name",
        "person_id",
        "person_ids",
        "mobile",
        "phone",
        "email",
        "contact",
        "contact_name",
        "legal_representative",
        "lead",
        "members",
        "officers",
        "shareholders",
        "holder_id",
        "recipient",
        "recipients",
        "id_number",
        "evidence",
        "input",
    }
)  # `evidence` names the people linking two companies; `input` is what a validation error got
MASK = "***"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# A mainland mobile number however it is written: 13800138000, 138-0013-8000, 138 0013 8000,
# +86 138…, 0086-138…, (+86)138….
_MOBILE = re.compile(r"(?<!\d)(?:\(?(?:\+|00)?86\)?[\s.-]?)?1[3-9]\d(?:[\s.-]?\d{4}){2}(?!\d)")
# Resident id numbers: 18 characters (17 digits and a check character) or the 15 digits of the
# first generation; which of them are ids decides `is_resident_id_number`.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# What a pydantic validation error was given (`input_value=…, input_type=…]`): the input itself.
_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=)", re.DOTALL)
# The suite's own identifiers, whole: application ids (SZV2026-0123456789ABCDEF) and event ids
# (UUIDs). Their random hex now and then holds eleven digits that read as a mobile number
# (SZV2026-251AC13987654321), which masked would cut a line off from its application. No one's
# personal data is an identifier, so the patterns above are looked for only between them.
_IDENTIFIER = re.compile(r"(\bSZV\d{4}-[0-9A-F]{16}\b|\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b)")
_HANDLER_MARK = "_vouchers_json_handler"


def is_resident_id_number(text: str) -> bool:
    """Whether `text` is a resident id number (GB 11643) as `stdnum.cn.ric` reads one, or would
    be but for its check character: a mistyped number is still someone's. The 15-digit first
    generation (two-digit year, no check character) counts too. A USCC never does: its first
    six characters are no place of birth."""
    number = text.upper()
    if len(number) == 15 and number.isdigit():
        number = number[:6] + "19" + number[6:]
        number += ric.calc_check_digit(number + "0")
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return False
    if ric.is_valid(number):
        return True
    try:  # a wrong check character, or a place the table names only from a later year
        born = ric.get_birth_date(number)
    except StdnumError:
        return False
    places = numdb.get("cn/loc").info(number[:6])
    return 1900 <= born.year <= date.today().year and any("province" in p for _, p in places)


def mask_text(text: str) -> str:
    """E-mail addresses, mainland mobile numbers, resident id numbers and the input quoted by
    validation errors scrubbed from free text."""
    text = _INPUT_VALUE.sub(f"input_value={MASK}", text)
    pieces = _IDENTIFIER.split(text)  # the identifiers at the odd places
    return "".join(piece if i % 2 else _masked_between(piece) for i, piece in enumerate(pieces))


def _masked_between(text: str) -> str:
    text = _EMAIL.sub("***@***", text)
    text = _MOBILE.sub("1**********", text)
    return _ID_NUMBER.sub(lambda m: MASK if is_resident_id_number(m.group()) else m.group(), text)


def mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: MASK if k in PERSONAL_KEYS else mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(v) for v in value]
    if isinstance(value, BaseException):
        return mask_text(repr(value))
    return value


def mask_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: personal fields replaced, e-mails and mobiles scrubbed in text."""
    for key in list(event_dict):
        event_dict[key] = MASK if key in PERSONAL_KEYS else mask_value(event_dict[key])
    return event_dict


def add_service(service: str) -> Processor:
    def processor(
        _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return processor


def _shared_processors(service: str) -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        add_service(service),
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stdout for structlog and the standard library alike; safe to call again."""
    numeric_level = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[
            *_shared_processors(service),
            structlog.processors.format_exc_info,
            mask_personal_data,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(service), structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            mask_personal_data,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, _HANDLER_MARK, False) or _is_plain_stdout_handler(old):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    logging.captureWarnings(True)  # Python's warnings as JSON lines too, not bare stderr text
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "faststream"):
        named = logging.getLogger(name)
        named.handlers.clear()  # uvicorn's own handlers would print plain text beside ours
        named.propagate = True


def _is_plain_stdout_handler(handler: logging.Handler) -> bool:
    """A handler `logging.basicConfig` left on stdout/stderr, which would print lines twice."""
    return type(handler) is logging.StreamHandler and getattr(handler, "stream", None) in (
        sys.stdout,
        sys.stderr,
    )
