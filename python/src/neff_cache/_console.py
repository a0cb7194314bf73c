"""The ``neff-cache`` console script: the bundled CLI under the Node.js find_node chooses."""

from __future__ import annotations

import os
import subprocess
import sys

from neff_cache._cli import cli_command
from neff_cache._node import NodeNotFoundError


def main() -> None:
    try:
        argv = cli_command(sys.argv[1:])
    except NodeNotFoundError as error:
        sys.stderr.write(f"neff-cache: {error}\n")
        sys.exit(2)
    if os.name == "posix":
        # Become the CLI: signals, exit codes and stdio are then exactly its own.
        os.execv(argv[0], argv)
    sys.exit(subprocess.call(argv))
