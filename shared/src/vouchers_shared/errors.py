"""Error tree shared by the services: domain errors versus transient infrastructure errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class VouchersError(Exception):
    """Base of the suite's own errors."""


class PermanentError(VouchersError):
    """Processing this input again will fail the same way: park it, do not retry."""


class PoisonMessage(PermanentError):
    """A message that cannot be parsed or does not match its schema."""


class DomainRuleError(PermanentError):
    """A request the domain refuses (illegal transition, unknown reference).

    Over HTTP it is a problem (`vouchers_shared.problems`): `code` names the refusal for clients
    and never changes; `http_status` answers it; `title_zh`/`title_en` say the kind of refusal
    (the status's title if unset); the message (`str`) says this one in English and
    `message_zh`, when set, in Chinese; `errors` are the fields at fault, if any.
    """

    code: str = "DOMAIN_RULE_REFUSED"
    http_status: int = 409
    title_zh: str | None = None
    title_en: str | None = None
    message_zh: str | None = None
    errors: Sequence[Mapping[str, str]] = ()


class TransientError(VouchersError):
    """The store or the broker did not answer: retry with backoff."""
