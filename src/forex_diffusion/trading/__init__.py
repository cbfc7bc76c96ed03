"""Trading layer: the paper broker, costs, risk and sizing, strategies and the engine."""
