"""The registry of `facturas-sandbox` sub-commands.

`serve` (cli.py) and the QA commands (conformance/cli.py, conformance/proxy.py) register
themselves here; `cli.main` builds the parser from it. A module of its own, so that the QA
commands need not import the command line that imports them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

Command = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]
COMMANDS: dict[str, tuple[Configure, Command]] = {}


def command(name: str, configure: Configure) -> Callable[[Command], Command]:
    """Register a sub-command: `configure` adds its arguments, the function runs it."""

    def register(run: Command) -> Command:
        COMMANDS[name] = (configure, run)
        return run

    return register
