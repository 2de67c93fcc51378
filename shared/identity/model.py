"""Organisations and roles, in the users' words."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    COOPERATIVE = "cooperative"  # hợp tác xã, tổ hợp tác, liên hiệp HTX
    BUSINESS = "business"  # doanh nghiệp
    BANK = "bank"  # ngân hàng, quỹ tín dụng nhân dân (as a lender)
    ORGANISER = "organiser"  # Sở Công Thương, Liên minh HTX tỉnh: reads everything


@dataclass(frozen=True)
class Caller:
    """The organisation a request acts for, as its verified token says."""

    organisation_id: str
    role: Role
    name: str

    def owns(self, owner_organisation_id: str) -> bool:
        return self.organisation_id == owner_organisation_id

    def may_read(self, owner_organisation_id: str) -> bool:
        """Organisers read everything; everyone else reads only their own."""
        return self.role is Role.ORGANISER or self.owns(owner_organisation_id)
