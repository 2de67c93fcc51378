"""Alembic operations for the tables every service gets from the kit: outbox, idempotency keys
and read models. They are frozen at version 1: a service's migration calls them, and a later
change to a kit table comes as a new function and a new migration, never as an edit here
(that would rewrite history for databases migrated already)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.storage.types import AutoId, Json, NullableJson, UtcDateTime

_UNSENT = sa.text("sent_at IS NULL")


def create_outbox_v1(service: str) -> None:
    table = f"{service}_outbox"
    op.create_table(
        table,
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("topic", sa.String(128), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column(
            "envelope", sa.Text(), nullable=False, comment="the encoded envelope, UTF-8 JSON"
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("event_id", name=f"uq_{table}_event_id"),
    )
    for name, columns in (
        (f"ix_{table}_unsent", ["id"]),
        (f"ix_{table}_unsent_key", ["key", "id"]),
    ):
        op.create_index(name, table, columns, postgresql_where=_UNSENT, sqlite_where=_UNSENT)


def create_idempotency_keys_v1(service: str) -> None:
    table = f"{service}_idempotency_keys"
    op.create_table(
        table,
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "key", name=f"pk_{table}"),
    )


def create_sourcing_matches_v1(service: str) -> None:
    table = f"{service}_sourcing_matches"
    op.create_table(
        table,
        sa.Column("match_id", sa.String(64), nullable=False),
        sa.Column("demand_id", sa.String(64), nullable=False),
        sa.Column("business_id", sa.String(64), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("found", Json, nullable=False, comment="the SourcingMatchFound payload"),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("match_id", name=f"pk_{table}"),
    )
    for column in ("cooperative_id", "demand_id"):
        op.create_index(f"ix_{table}_{column}", table, [column])


def create_directory_v1(table: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("document", Json, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )


def owned_record_columns_v1() -> list[sa.Column[object]]:
    """The columns of ``shared.storage.records.OwnedRecord``, for an aggregate's table."""
    return [
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    ]


def drop_tables(*tables: str) -> None:
    for table in tables:
        op.drop_table(table)


def remove_json_key(table: str, column: str, key: str) -> None:
    """Drop one top-level key from every JSON document of a column (JSONB on PostgreSQL, JSON
    text on SQLite), for stored event payloads that outlived a field of the contract."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"UPDATE {table} SET {column} = {column} - :key").bindparams(key=key))
    else:
        op.execute(
            sa.text(f"UPDATE {table} SET {column} = json_remove({column}, :path)").bindparams(
                path=f"$.{key}"
            )
        )


def sourcing_matches_v2(service: str) -> None:
    """v1 to v2: a ``product_id`` column (a demand's matches rank by score, cooperative and
    product), filled from the stored payloads, and no ``rank`` in them (the contract dropped
    it: ranks are worked out when read)."""
    table = f"{service}_sourcing_matches"
    op.add_column(table, sa.Column("product_id", sa.String(64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"UPDATE {table} SET product_id = found ->> 'product_id'")
    else:
        op.execute(f"UPDATE {table} SET product_id = json_extract(found, '$.product_id')")
    with op.batch_alter_table(table) as batch:
        batch.alter_column("product_id", existing_type=sa.String(64), nullable=False)
    remove_json_key(table, "found", "rank")


def sourcing_matches_v2_down(service: str) -> None:
    """Back to v1's columns (the ranks removed from the stored payloads do not come back)."""
    with op.batch_alter_table(f"{service}_sourcing_matches") as batch:
        batch.drop_column("product_id")


def add_retraction_reason_v1(table: str) -> None:
    """A ``retraction_reason`` column on a read model of matches or leads (the kit's sourcing
    matches, the banks' leads): the reason of the retraction a row is retracted by, as JSON
    (code, en, vi), SQL NULL while live. Rows retracted before it have none."""
    op.add_column(
        table,
        sa.Column(
            "retraction_reason",
            NullableJson,
            nullable=True,
            comment="the MatchRetracted reason (code, en, vi) while retracted",
        ),
    )


def drop_retraction_reason_v1(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_column("retraction_reason")
