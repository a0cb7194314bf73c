"""Build hook: puts the bundled neff-cache CLI into the package before hatchling packs it.

From a checkout of the repository it runs scripts/stage-python-cli.sh, which builds the CLI
(`npm run build`, after `npm ci` when the dependencies are missing) and copies it with its
runtime dependencies into src/neff_cache/_cli/. From an sdist the CLI is already there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

HERE = Path(__file__).resolve().parent
STAGED = HERE / "src" / "neff_cache" / "_cli"
STAGE_SCRIPT = HERE.parent / "scripts" / "stage-python-cli.sh"


class CliBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if STAGE_SCRIPT.is_file():
            stage_from_checkout()
        if not (STAGED / "dist" / "neff-cache.cjs").is_file():
            raise RuntimeError(
                "neff-cache: the bundled CLI is missing from the package "
                f"({STAGED}/dist/neff-cache.cjs), and this is not a checkout of the repository that "
                "could build it. Build the package from the repository (pip install ./python)."
            )


def stage_from_checkout() -> None:
    bash = shutil.which("bash")
    missing = [tool for tool in ("bash", "node", "npm") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(
            f"neff-cache: building the Python package needs {', '.join(missing)} on PATH: "
            "the package carries the neff-cache CLI, which is built with Node.js and npm "
            "(Node.js 20.18 or newer). Install Node.js, then run pip install ./python again."
        )
    done = subprocess.run([bash or "bash", str(STAGE_SCRIPT), str(STAGED)], env=os.environ.copy())
    if done.returncode != 0:
        raise RuntimeError(
            "neff-cache: building the bundled CLI failed (see the output above). From the "
            "repository root, `npm ci && npm run build` must work first (a fresh clone needs the "
            "npm registry once for `npm ci`); then run pip install ./python again."
        )
