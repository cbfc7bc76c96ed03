"""``python -m forex_diffusion`` runs the ``fxd`` command line."""

from forex_diffusion.cli.app import main

if __name__ == "__main__":
    main()
