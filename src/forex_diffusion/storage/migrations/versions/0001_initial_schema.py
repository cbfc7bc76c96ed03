"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 11:51:35.777143
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candles",
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("timeframe", sa.String(length=4), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("open", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=False),
        sa.Column("low", sa.Double(), nullable=False),
        sa.Column("close", sa.Double(), nullable=False),
        sa.Column("volume", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "timeframe", "ts", name=op.f("pk_candles")),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("config", sa.JSON(), nullable=True),
        sa.Column("symbol", sa.String(length=16), nullable=True),
        sa.Column("timeframe", sa.String(length=4), nullable=True),
        sa.Column("strategy", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("last_bar_ts", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )
    op.create_table(
        "trained_models",
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("timeframe", sa.String(length=4), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=True),
        sa.Column("horizons", sa.JSON(), nullable=False),
        sa.Column("data_start_ts", sa.BigInteger(), nullable=False),
        sa.Column("data_end_ts", sa.BigInteger(), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_trained_models")),
    )
    op.create_table(
        "equity_snapshots",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.Double(), nullable=False),
        sa.Column("equity", sa.Double(), nullable=False),
        sa.Column("margin_used", sa.Double(), nullable=False),
        sa.Column("open_pnl", sa.Double(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name=op.f("fk_equity_snapshots_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equity_snapshots")),
        sa.UniqueConstraint("run_id", "ts", name=op.f("uq_equity_snapshots_run_id_ts")),
    )
    op.create_table(
        "forecasts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("model_id", sa.String(length=64), nullable=True),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("timeframe", sa.String(length=4), nullable=False),
        sa.Column("origin_ts", sa.BigInteger(), nullable=False),
        sa.Column("horizons", sa.JSON(), nullable=False),
        sa.Column("quantile_levels", sa.JSON(), nullable=False),
        sa.Column("quantiles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["trained_models.model_id"],
            name=op.f("fk_forecasts_model_id_trained_models"),
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_forecasts_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecasts")),
    )
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_forecasts_lookup", ["symbol", "timeframe", "origin_ts"], unique=False
        )

    op.create_table(
        "fused_signals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("signal_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("timeframe", sa.String(length=4), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("strength", sa.Double(), nullable=False),
        sa.Column("pattern_strength", sa.Double(), nullable=False),
        sa.Column("mtf_agreement", sa.Double(), nullable=False),
        sa.Column("regime_confidence", sa.Double(), nullable=False),
        sa.Column("volume_confirmation", sa.Double(), nullable=False),
        sa.Column("sentiment_alignment", sa.Double(), nullable=False),
        sa.Column("correlation_safety", sa.Double(), nullable=False),
        sa.Column("composite", sa.Double(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=True),
        sa.Column("entry_price", sa.Double(), nullable=True),
        sa.Column("target_price", sa.Double(), nullable=True),
        sa.Column("stop_price", sa.Double(), nullable=True),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name=op.f("fk_fused_signals_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fused_signals")),
        sa.UniqueConstraint("signal_id", name=op.f("uq_fused_signals_signal_id")),
    )
    with op.batch_alter_table("fused_signals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fused_signals_lookup", ["symbol", "timeframe", "ts"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("signal_id", sa.String(length=64), nullable=True),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("price", sa.Double(), nullable=True),
        sa.Column("stop_loss", sa.Double(), nullable=True),
        sa.Column("take_profit", sa.Double(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=True),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.Column("updated_ts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_orders_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_orders_client_order_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_run", ["run_id", "created_ts"], unique=False)

    op.create_table(
        "parameter_adaptations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=True),
        sa.Column("timeframe", sa.String(length=4), nullable=True),
        sa.Column("regime", sa.String(length=32), nullable=True),
        sa.Column("parameter_name", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.Double(), nullable=True),
        sa.Column("new_value", sa.Double(), nullable=False),
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

    op.create_table(
        "pattern_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("timeframe", sa.String(length=4), nullable=False),
        sa.Column("pattern_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("start_ts", sa.BigInteger(), nullable=False),
        sa.Column("confirm_ts", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("scale_atr", sa.Double(), nullable=True),
        sa.Column("touches", sa.BigInteger(), nullable=True),
        sa.Column("bars_span", sa.BigInteger(), nullable=True),
        sa.Column("target_price", sa.Double(), nullable=True),
        sa.Column("failure_price", sa.Double(), nullable=True),
        sa.Column("horizon_bars", sa.BigInteger(), nullable=True),
        sa.Column("overlay", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name=op.f("fk_pattern_events_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pattern_events")),
        sa.UniqueConstraint(
            "symbol",
            "timeframe",
            "pattern_key",
            "start_ts",
            "confirm_ts",
            "run_id",
            name=op.f("uq_pattern_events_symbol_timeframe_pattern_key_start_ts_confirm_ts_run_id"),
        ),
    )
    with op.batch_alter_table("pattern_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pattern_events_lookup", ["symbol", "timeframe", "confirm_ts"], unique=False
        )

    op.create_table(
        "positions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("position_key", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("entry_price", sa.Double(), nullable=False),
        sa.Column("entry_ts", sa.BigInteger(), nullable=False),
        sa.Column("stop_loss", sa.Double(), nullable=True),
        sa.Column("take_profit", sa.Double(), nullable=True),
        sa.Column("swap", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_ts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_positions_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint(
            "run_id", "position_key", name=op.f("uq_positions_run_id_position_key")
        ),
    )
    op.create_table(
        "fills",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.Double(), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("commission", sa.Double(), nullable=False),
        sa.Column("spread_cost", sa.Double(), nullable=False),
        sa.Column("slippage_cost", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_fills_order_id_orders")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_fills_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
    )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.create_index("ix_fills_run", ["run_id", "ts"], unique=False)

    op.create_table(
        "trades",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column(
            "position_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("entry_ts", sa.BigInteger(), nullable=False),
        sa.Column("entry_price", sa.Double(), nullable=False),
        sa.Column("exit_ts", sa.BigInteger(), nullable=False),
        sa.Column("exit_price", sa.Double(), nullable=False),
        sa.Column("pnl", sa.Double(), nullable=False),
        sa.Column("pnl_pips", sa.Double(), nullable=False),
        sa.Column("commission", sa.Double(), nullable=False),
        sa.Column("swap", sa.Double(), nullable=False),
        sa.Column("spread_cost", sa.Double(), nullable=False),
        sa.Column("slippage_cost", sa.Double(), nullable=False),
        sa.Column("exit_reason", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["position_id"], ["positions.id"], name=op.f("fk_trades_position_id_positions")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_trades_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
    )
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.create_index("ix_trades_run", ["run_id", "exit_ts"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index("ix_trades_run")

    op.drop_table("trades")
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_index("ix_fills_run")

    op.drop_table("fills")
    op.drop_table("positions")
    with op.batch_alter_table("pattern_events", schema=None) as batch_op:
        batch_op.drop_index("ix_pattern_events_lookup")

    op.drop_table("pattern_events")
    with op.batch_alter_table("parameter_adaptations", schema=None) as batch_op:
        batch_op.drop_index("ix_parameter_adaptations_scope")

    op.drop_table("parameter_adaptations")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_run")

    op.drop_table("orders")
    with op.batch_alter_table("fused_signals", schema=None) as batch_op:
        batch_op.drop_index("ix_fused_signals_lookup")

    op.drop_table("fused_signals")
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.drop_index("ix_forecasts_lookup")

    op.drop_table("forecasts")
    op.drop_table("equity_snapshots")
    op.drop_table("trained_models")
    op.drop_table("runs")
    op.drop_table("candles")
