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
from typing import Any

import structlog
from structlog.typing import Processor

PERSONAL_KEYS = frozenset(
    {"name", "person_id", "person_ids", "mobile", "phone", "email", "contact", "contact_name",
     "legal_representative", "lead", "members", "officers", "shareholders", "holder_id",
     "recipient", "recipients", "id_number"}
)
MASK = "***"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_HANDLER_MARK = "_vouchers_json_handler"


def is_resident_id_number(text: str) -> bool:
    """GB 11643: 17 digits and an ISO 7064 MOD 11-2 check character (a USCC fails this)."""
    if len(text) != 18 or not text[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == text[17].upper()


def mask_text(text: str) -> str:
    """E-mail addresses, mainland mobile numbers and resident id numbers scrubbed from free text."""
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
    def processor(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]
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
        sys.stdout, sys.stderr)
