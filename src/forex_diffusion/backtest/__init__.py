"""Backtest layer: metrics, historical runs, walk-forward studies and reports."""
