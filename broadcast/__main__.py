"""Entry point for ``python -m broadcast``."""

from broadcast.cli import main

main()
