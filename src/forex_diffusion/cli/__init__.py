"""The ``fxd`` command line (typer). Errors become exit codes here and nowhere else."""

__all__: list[str] = []
