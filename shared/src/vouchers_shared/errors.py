"""Error tree shared by the services: domain errors versus transient infrastructure errors."""

from __future__ import annotations


class VouchersError(Exception):
    """Base of the suite's own errors."""


class PermanentError(VouchersError):
    """Processing this input again will fail the same way: park it, do not retry."""


class PoisonMessage(PermanentError):
    """A message that cannot be parsed or does not match its schema."""


class DomainRuleError(PermanentError):
    """A request the domain refuses (illegal transition, unknown reference)."""


class TransientError(VouchersError):
    """The store or the broker did not answer: retry with backoff."""
