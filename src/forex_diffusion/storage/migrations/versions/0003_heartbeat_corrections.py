"""runs: heartbeat and owner of a live process; candle_corrections: bars replaced after a run
traded on them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(length=128), nullable=True))
    op.create_table(
        "candle_corrections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("timeframe", sa.String(length=4), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candle_corrections")),
    )
    op.create_index(
        "ix_candle_corrections_series",
        "candle_corrections",
        ["symbol", "timeframe", "ts"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_candle_corrections_series", table_name="candle_corrections")
    op.drop_table("candle_corrections")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("owner")
        batch.drop_column("heartbeat_at")
