"""parameter_adaptations: uuid ids and a status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 14:00:00

No released code wrote ``parameter_adaptations`` before this revision, so the table is
recreated rather than converted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(uuid_ids: bool) -> None:
    id_column = (
        sa.Column("id", sa.String(length=32), nullable=False)
        if uuid_ids
        else sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        )
    )
    extra = [sa.Column("status", sa.String(length=16), nullable=False)] if uuid_ids else []
    op.create_table(
        "parameter_adaptations",
        id_column,
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=True),
        sa.Column("timeframe", sa.String(length=4), nullable=True),
        sa.Column("regime", sa.String(length=32), nullable=True),
        sa.Column("parameter_name", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.Double(), nullable=True),
        sa.Column("new_value", sa.Double(), nullable=False),
        *extra,
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("params_metadata", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name=op.f("fk_parameter_adaptations_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parameter_adaptations")),
    )
    with op.batch_alter_table("parameter_adaptations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_parameter_adaptations_scope", ["symbol", "timeframe", "ts"], unique=False
        )


def _drop() -> None:
    with op.batch_alter_table("parameter_adaptations", schema=None) as batch_op:
        batch_op.drop_index("ix_parameter_adaptations_scope")
    op.drop_table("parameter_adaptations")


def upgrade() -> None:
    _drop()
    _create(uuid_ids=True)


def downgrade() -> None:
    _drop()
    _create(uuid_ids=False)
