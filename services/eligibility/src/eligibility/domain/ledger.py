"""The yearly ledger of one applicant: prior-year unredeemed, reserved and granted amounts.

三(一)2: 同一需求方每一年度累计申请的训力券额度最高1000万元 … 上年度未完成兑现的训力券额度累计计入本年度额度.
Every change names the application it is for, so a redelivered message changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

ZERO = Decimal("0.00")


class Ledger(BaseModel):
    applicant_uscc: str
    program_year: int
    prior_unredeemed_cny: Decimal = ZERO
    reserved: dict[str, Decimal] = Field(default_factory=dict)
    granted: dict[str, Decimal] = Field(default_factory=dict)
    released: dict[str, Decimal] = Field(default_factory=dict)
    revision: int = 0

    def committed(self) -> Decimal:
        """What already counts against the cap: reservations and grants of this year."""
        return sum(self.reserved.values(), ZERO) + sum(self.granted.values(), ZERO)

    def room(self, annual_cap: Decimal) -> Decimal:
        return max(annual_cap - self.prior_unredeemed_cny - self.committed(), ZERO)

    def others_committed(self, application_id: str) -> Decimal:
        """Committed by every application but this one (its own reservation is not room taken)."""
        own = self.reserved.get(application_id, ZERO) + self.granted.get(application_id, ZERO)
        return self.committed() - own

    def reserve(self, application_id: str, amount: Decimal, annual_cap: Decimal) -> Ledger:
        """Reserve `amount` once; a second call for the same application changes nothing."""
        if application_id in self.reserved or application_id in self.granted:
            return self
        if application_id in self.released:
            return self  # finally rejected already: never reserved again
        if amount <= ZERO:
            return self
        if amount > self.room(annual_cap):
            raise OverCap(f"{amount} is over the {self.room(annual_cap)} left under the cap")
        return self.model_copy(
            update={"reserved": {**self.reserved, application_id: amount}, "revision": self.revision + 1}
        )

    def release(self, application_id: str) -> Ledger:
        """A final rejection gives the room back."""
        if application_id not in self.reserved:
            if application_id in self.released or application_id in self.granted:
                return self
            return self.model_copy(
                update={"released": {**self.released, application_id: ZERO}, "revision": self.revision + 1}
            )
        reserved = dict(self.reserved)
        amount = reserved.pop(application_id)
        return self.model_copy(
            update={
                "reserved": reserved,
                "released": {**self.released, application_id: amount},
                "revision": self.revision + 1,
            }
        )

    def reservation(self, application_id: str) -> Decimal | None:
        """What is reserved or granted for the application, or None when nothing is."""
        if application_id in self.granted:
            return self.granted[application_id]
        return self.reserved.get(application_id)

    def grant(self, application_id: str, amount: Decimal) -> Ledger:
        """An approval turns the reservation into a grant of exactly the amount reserved.

        A grant is never recorded without a reservation behind it, nor for another amount:
        either would let the yearly cap be passed unseen.
        """
        if application_id in self.granted:
            return self
        if application_id not in self.reserved:
            raise UnreservedGrant(f"{application_id}: approved for {amount} with nothing reserved")
        if self.reserved[application_id] != amount:
            raise UnreservedGrant(
                f"{application_id}: approved for {amount}, {self.reserved[application_id]} reserved"
            )
        reserved = dict(self.reserved)
        reserved.pop(application_id)
        return self.model_copy(
            update={
                "reserved": reserved,
                "granted": {**self.granted, application_id: amount},
                "revision": self.revision + 1,
            }
        )


class OverCap(Exception):
    """A reservation that would take the applicant over its yearly cap."""


class UnreservedGrant(Exception):
    """An approval whose amount is not what the ledger reserved for it."""
