"""Loading and saving cooperatives: rows in, contract records out, and back."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.cooperatives.orm import CooperativeRow, CreditNeedRow, ProductRow
from shared.contract.events import CooperativeProfile, CreditNeedSubmitted, Product
from shared.contract.values import Certification, CooperativeKind, LoanPurpose, Quantity
from shared.storage.records import OwnedRows
from shared.storage.types import utc_now


def to_profile(row: CooperativeRow) -> CooperativeProfile:
    return CooperativeProfile(
        cooperative_id=row.id,
        organisation_id=row.organisation_id,
        name=row.name,
        kind=CooperativeKind(row.kind),
        sector=row.sector,
        district=row.district,
        commune=row.commune,
        founded_year=row.founded_year,
        member_count=row.member_count,
        annual_revenue_vnd=row.annual_revenue_vnd,
        products=[
            Product(
                product_id=product.product_id,
                name=product.name,
                description=product.description,
                monthly_capacity=Quantity(
                    amount=product.capacity_amount, unit=product.capacity_unit
                ),
                certifications=[Certification.model_validate(c) for c in product.certifications],
                harvest_months=product.harvest_months,
            )
            for product in row.products
        ],
    )


def to_credit_need(row: CreditNeedRow) -> CreditNeedSubmitted:
    return CreditNeedSubmitted(
        credit_need_id=row.id,
        cooperative_id=row.cooperative_id,
        amount_vnd=row.amount_vnd,
        purpose=LoanPurpose(row.purpose),
        purpose_detail=row.purpose_detail,
        term_months=row.term_months,
        collateral_offered=row.collateral_offered,
        collateral_description=row.collateral_description,
    )


def _write_products(row: CooperativeRow, products: Sequence[Product]) -> None:
    """Change products in place by id (a delete and insert of one key would clash)."""
    existing = {product.product_id: product for product in row.products}
    kept: list[ProductRow] = []
    for position, product in enumerate(products):
        product_row = existing.get(product.product_id) or ProductRow(
            cooperative_id=row.id, product_id=product.product_id
        )
        product_row.position = position
        product_row.name = product.name
        product_row.description = product.description
        product_row.capacity_amount = product.monthly_capacity.amount
        product_row.capacity_unit = product.monthly_capacity.unit
        product_row.certifications = [c.model_dump(mode="json") for c in product.certifications]
        product_row.harvest_months = list(product.harvest_months)
        kept.append(product_row)
    row.products = kept


def _write_profile(row: CooperativeRow, profile: CooperativeProfile) -> None:
    row.name = profile.name
    row.kind = profile.kind.value
    row.sector = profile.sector
    row.district = profile.district
    row.commune = profile.commune
    row.founded_year = profile.founded_year
    row.member_count = profile.member_count
    row.annual_revenue_vnd = profile.annual_revenue_vnd
    row.touch()
    _write_products(row, profile.products)


class Cooperatives(OwnedRows[CooperativeRow]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, CooperativeRow, "cooperative")

    def of_organisation(self, organisation_id: str) -> CooperativeRow | None:
        return self.session.execute(
            select(CooperativeRow).where(CooperativeRow.organisation_id == organisation_id)
        ).scalar_one_or_none()

    def of_organisations(self, organisation_ids: Sequence[str]) -> dict[str, str]:
        """Organisation id -> cooperative id, for those that have one."""
        rows = self.session.execute(
            select(CooperativeRow.organisation_id, CooperativeRow.id).where(
                CooperativeRow.organisation_id.in_(organisation_ids)
            )
        )
        return {row.organisation_id: row.id for row in rows}

    def register(self, profile: CooperativeProfile) -> CooperativeRow:
        row = CooperativeRow(id=profile.cooperative_id, organisation_id=profile.organisation_id)
        _write_profile(row, profile)
        return self.add(row)

    def change(self, row: CooperativeRow, profile: CooperativeProfile) -> CooperativeRow:
        _write_profile(row, profile)
        self.session.flush()
        return row

    def add_credit_need(self, need: CreditNeedSubmitted) -> CreditNeedRow:
        row = CreditNeedRow(
            id=need.credit_need_id,
            cooperative_id=need.cooperative_id,
            amount_vnd=need.amount_vnd,
            purpose=need.purpose.value,
            purpose_detail=need.purpose_detail,
            term_months=need.term_months,
            collateral_offered=need.collateral_offered,
            collateral_description=need.collateral_description,
            submitted_at=utc_now(),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def credit_needs(self, cooperative_id: str, limit: int, offset: int) -> list[CreditNeedRow]:
        query = (
            select(CreditNeedRow)
            .where(CreditNeedRow.cooperative_id == cooperative_id)
            .order_by(CreditNeedRow.submitted_at.desc(), CreditNeedRow.id)
            .limit(limit)
            .offset(offset)
        )
        return list(self.session.execute(query).scalars())
