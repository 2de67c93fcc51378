"""The synthetic cooperatives and demands of ``synthetic.py`` as contract events, to publish."""

from __future__ import annotations

from services.matching.domain.model import Cooperative, Demand
from shared.contract import events as contract
from shared.contract.values import (
    Certification,
    CertificationKind,
    CooperativeKind,
    Quantity,
    RequiredCertification,
)


def _quantity(value: float, unit: str) -> Quantity:
    return Quantity(amount=round(max(value, 1.0), 1), unit=unit)


def cooperative_registered(cooperative: Cooperative) -> contract.CooperativeRegistered:
    return contract.CooperativeRegistered(
        cooperative_id=cooperative.cooperative_id,
        organisation_id=f"org-{cooperative.cooperative_id}",
        name=cooperative.name,
        kind=CooperativeKind(cooperative.kind),
        sector=cooperative.sector,
        district=cooperative.district,
        commune="Xã Thử",
        founded_year=cooperative.founded_year,
        member_count=cooperative.member_count,
        annual_revenue_vnd=cooperative.annual_revenue_vnd,
        products=[
            contract.Product(
                product_id=offer.product_id,
                name=offer.name,
                description=offer.description,
                monthly_capacity=_quantity(
                    offer.monthly_capacity.value, offer.monthly_capacity.unit
                ),
                certifications=[
                    Certification(
                        kind=CertificationKind(c.kind), stars=c.stars, expires_on=c.expires_on
                    )
                    for c in offer.certificates
                ],
                harvest_months=sorted(offer.harvest_months),
            )
            for offer in cooperative.products
        ],
    )


def demand_posted(demand: Demand) -> contract.SourcingDemandPosted:
    return contract.SourcingDemandPosted(
        demand_id=demand.demand_id,
        business_id=demand.business_id,
        product=demand.product,
        quantity=_quantity(demand.quantity.value, demand.quantity.unit),
        recurrence=contract.Recurrence.MONTHLY if demand.monthly else contract.Recurrence.ONE_OFF,
        required_certifications=[
            RequiredCertification(kind=CertificationKind(r.kind), min_stars=r.min_stars)
            for r in demand.required_certificates
        ],
        delivery_place=demand.delivery_place,
        delivery_from=demand.delivery_from,
        delivery_until=demand.delivery_until,
    )
