"""Entry point for ``python -m broadcast`` and the ``broadcast`` command.

Python's cyclic garbage collector is paused while the command line's modules load: they make
tens of thousands of objects that live as long as the process, and the collector would scan
them again every few hundred allocations, for nothing (about 8 % of a preview's CPU). Once
loaded they are frozen (never scanned again). The collector resumes for a command that runs
long, such as a send; a preview or a validation, start-up and nothing else, runs without it
(see cli.py).
"""

import gc

gc.disable()

# Imported once the collector is paused: loading the command line is what the pause is for.
from broadcast.cli import main as run_command_line  # noqa: E402

gc.freeze()


def main() -> None:
    run_command_line()


if __name__ == "__main__":
    main()
