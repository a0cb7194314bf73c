"""Running the bundled CLI: one place builds the process, one place reads its ``--json``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence

from neff_cache._node import find_node

# The CLI's exit code for "some entries failed, the rest were done" (README, Exit codes).
EXIT_PARTIAL = 6


class NeffCacheError(RuntimeError):
    """The CLI failed: ``code`` is its error code (``usage``, ``not-found``, ``store``…),
    ``exit_code`` its exit status, ``hint`` how to fix it, ``result`` the partial result."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        exit_code: int = 1,
        hint: Optional[str] = None,
        result: Optional[Any] = None,
    ) -> None:
        super().__init__(message if hint is None else f"{message} {hint}")
        self.code = code
        self.exit_code = exit_code
        self.hint = hint
        self.result = result


class NeffCacheWarning(UserWarning):
    """A store failure that did not stop the work (the compile always goes on)."""


def cli_path() -> str:
    """The bundled CLI launcher (``_cli/bin/neff-cache.js``)."""
    return str(Path(__file__).resolve().parent / "_cli" / "bin" / "neff-cache.js")


def cli_command(args: Sequence[str], env: Optional[Mapping[str, str]] = None) -> List[str]:
    """The argv that runs ``neff-cache ARGS…`` with the Node.js find_node chooses."""
    return [find_node(env), cli_path(), *args]


def run_cli(
    args: Sequence[str],
    *,
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
) -> "subprocess.CompletedProcess[str]":
    """Runs ``neff-cache ARGS…`` to completion and returns its exit code and output."""
    environ = dict(os.environ if env is None else env)
    return subprocess.run(
        cli_command(args, environ),
        env=environ,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def cli_json(args: Sequence[str], *, env: Optional[Mapping[str, str]] = None) -> Any:
    """Runs ``neff-cache ARGS… --json`` and returns its document; a failure raises NeffCacheError
    (a partial failure carries the partial result)."""
    done = run_cli([*args, "--json"], env=env)
    return parse_cli_output(done.returncode, done.stdout, done.stderr)


def parse_cli_output(exit_code: int, stdout: str, stderr: str) -> Any:
    """The ``--json`` document of a finished run, or the NeffCacheError it stands for."""
    try:
        document = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        document = None
    if exit_code == 0 and document is not None:
        return document
    if isinstance(document, dict) and document.get("ok") is False:
        error = document.get("error") or {}
        raise NeffCacheError(
            str(error.get("message", "neff-cache failed")),
            code=str(error.get("code", "error")),
            exit_code=exit_code,
            hint=error.get("hint"),
        )
    if exit_code == EXIT_PARTIAL and document is not None:
        raise NeffCacheError(
            "neff-cache: some entries failed (the others were done).",
            code="partial",
            exit_code=exit_code,
            result=document,
        )
    detail = stderr.strip().splitlines()[-1] if stderr.strip() else "no output"
    raise NeffCacheError(f"neff-cache exited with {exit_code}: {detail}", exit_code=exit_code)
