"""The verification service's errors, on the suite's tree: domain refusals vs transient failures."""

from __future__ import annotations

from vouchers_shared.errors import TransientError, VouchersError


class VerificationError(VouchersError):
    """Base of the errors only this service raises."""


class PlatformUnavailable(TransientError):
    """The CPA supervision platform gave no usable answer (down, too slow, or refusing us).

    Callers never read this as "not registered": the MAT-AUDIT-QR finding stays `pending`
    and the retry policy decides when to ask again or hand the case to an operator.
    """


class PlatformProtocolError(PlatformUnavailable):
    """The platform answered outside the agreed request/response shape (bad status or body).

    Not retried by the adapter, since asking again at once will not change it; still a
    `PlatformUnavailable`, so the application waits and goes to review instead of failing on
    a misconfiguration of ours (a refused token, a moved endpoint).
    """
