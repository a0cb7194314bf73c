"""optimum-neuron's bucket-cache API (``optimum.neuron.cache.bucket_cache``) on the neff-cache CLI.

The same names and parameters as the reference, with its known defects fixed the CLI's way: only
successful entries are published, a missing ``model_id`` never writes to a shared ``unknown``
area, a failing ``with`` body publishes nothing, and store failures are warnings.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from neff_cache._cli import NeffCacheError, NeffCacheWarning, cli_command, cli_json, parse_cli_output

PathLike = Union[str, "os.PathLike[str]"]


class CacheContext:
    """What the ``with`` body of ``hub_neuronx_cache`` sees: set ``export_config`` once the export
    configuration is known; after the block, ``report`` holds exec's report (fetch, sync,
    warnings) as a dict."""

    def __init__(self, export_config: Optional[Dict[str, Any]] = None) -> None:
        self.export_config = export_config
        self.report: Optional[Dict[str, Any]] = None


@contextmanager
def hub_neuronx_cache(
    model_id: Optional[str] = None,
    task: Optional[str] = None,
    export_config: Optional[Dict[str, Any]] = None,
    compiler_version: Optional[str] = None,
    bucket_id: Optional[str] = None,
    cache_dir: Optional[PathLike] = None,
) -> Iterator[CacheContext]:
    """Fetches the model's entries into the local compile cache on enter; on a clean exit
    publishes the successful entries the body produced, then the export record
    (``export_config``, or ``context.export_config`` set in the body). Nothing is published when
    the body raises. Store failures are NeffCacheWarning warnings, never errors.

    It is ``neff-cache exec`` around the body: exec runs a small command that holds until the
    body is done and exits with its outcome, so every decision stays the CLI's.
    """
    context = CacheContext(export_config)
    with tempfile.TemporaryDirectory(prefix="neff-cache-") as tmp:
        gate_path = os.path.join(tmp, "gate.sock")
        config_path = os.path.join(tmp, "export-config.json")
        args = ["exec", "--json", "--config-after", config_path]
        args += _option("--model", model_id) + _target(task, compiler_version, bucket_id, cache_dir)
        args += ["--", sys.executable, "-m", "neff_cache._gate", gate_path]
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(gate_path)
            listener.listen(1)
            environ = _gate_env()
            process = subprocess.Popen(
                cli_command(args, environ),
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                # Ctrl-C reaches the Python program only; exec ends when the gate is told.
                start_new_session=True,
            )
            output = _Collector(process)
            try:
                conn = _wait_for_gate(listener, process)
            except BaseException:
                process.kill()  # interrupted while exec fetched
                raise
        if conn is None:
            # exec stopped before it ran the gate: its command line or configuration is wrong.
            output.join()
            parse_cli_output(process.returncode, output.stdout, output.stderr)
            raise NeffCacheError(f"neff-cache exec ended before the cache was ready: {output.stderr.strip()}")
        try:
            yield context
        except BaseException:
            _release(conn, b"1")
            try:
                context.report = _finish(process, output, expected_exit=1)
            except NeffCacheError as error:
                # The body's own exception is the one that matters.
                warnings.warn(f"neff-cache: {error}", NeffCacheWarning, stacklevel=3)
            raise
        if context.export_config is not None:
            Path(config_path).write_text(json.dumps(context.export_config), encoding="utf-8")
        _release(conn, b"0")
        context.report = _finish(process, output, expected_exit=0)


def fetch_cache(
    model_id: str,
    task: Optional[str] = None,
    compiler_version: Optional[str] = None,
    bucket_id: Optional[str] = None,
    cache_dir: Optional[PathLike] = None,
) -> Dict[str, Any]:
    """Downloads the model's successful entries that are missing or broken locally (``neff-cache
    fetch``); returns the CLI's result (``fetched``, ``skipped``, ``failed``, ``bytes``…)."""
    return cli_json(["fetch", model_id, *_target(task, compiler_version, bucket_id, cache_dir)])


def sync_cache(
    model_id: Optional[str],
    task: Optional[str] = None,
    export_config: Optional[Dict[str, Any]] = None,
    new_modules: Optional[Sequence[str]] = None,
    compiler_version: Optional[str] = None,
    bucket_id: Optional[str] = None,
    cache_dir: Optional[PathLike] = None,
) -> Dict[str, Any]:
    """Publishes local successful entries (``neff-cache sync``) to the flat area and the model's
    area, then the export record. ``new_modules`` limits it to those entries (an empty list
    publishes nothing, as in optimum-neuron); None means every local successful entry the store
    lacks. Failed, locked and half-written entries are never published."""
    if new_modules is not None and len(new_modules) == 0:
        return {"published": [], "skipped": [], "failed": [], "record": None, "bytes": 0}
    args = ["sync", *([] if model_id is None else [model_id])]
    args += _target(task, compiler_version, bucket_id, cache_dir)
    for module in new_modules or []:
        args += ["--module", module]
    if export_config is None:
        return cli_json(args)
    with tempfile.TemporaryDirectory(prefix="neff-cache-") as tmp:
        config_path = os.path.join(tmp, "export-config.json")
        Path(config_path).write_text(json.dumps(export_config), encoding="utf-8")
        return cli_json([*args, "--config", config_path])


def lookup_cache(
    model_id: str,
    task: Optional[str] = None,
    compiler_version: Optional[str] = None,
    on_version: Optional[str] = None,
    bucket_id: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """The export configurations recorded for the model (``neff-cache lookup``), as dicts whose
    numbers keep Python's int and float; every compiler version, task and optimum-neuron
    version unless narrowed. Malformed records are skipped."""
    args = ["lookup", model_id, *_option("--task", task), *_option("--compiler-version", compiler_version)]
    args += _option("--optimum-neuron-version", on_version) + _option("--bucket", bucket_id)
    return [record["config"] for record in cli_json(args)["records"]]


# --- internal ---


def _option(flag: str, value: Optional[Any]) -> List[str]:
    return [] if value is None else [flag, str(value)]


def _target(
    task: Optional[str],
    compiler_version: Optional[str],
    bucket_id: Optional[str],
    cache_dir: Optional[PathLike],
) -> List[str]:
    return (
        _option("--task", task)
        + _option("--compiler-version", compiler_version)
        + _option("--bucket", bucket_id)
        + _option("--cache-dir", None if cache_dir is None else os.fspath(cache_dir))
    )


def _gate_env() -> Dict[str, str]:
    """The environment of exec and the gate: the gate must import this very package."""
    environ = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent)
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, environ.get("PYTHONPATH")]))
    return environ


class _Collector:
    """Reads a process's stdout and stderr to the end on threads, so neither pipe ever fills."""

    def __init__(self, process: "subprocess.Popen[str]") -> None:
        self.stdout = ""
        self.stderr = ""
        self._threads = [
            threading.Thread(target=self._read, args=(process.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._read, args=(process.stderr, "stderr"), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read(self, stream: Any, name: str) -> None:
        setattr(self, name, stream.read())

    def join(self) -> None:
        for thread in self._threads:
            thread.join()


def _wait_for_gate(listener: socket.socket, process: "subprocess.Popen[str]") -> Optional[socket.socket]:
    """The gate's connection once exec has fetched and started it; None when exec ended first."""
    listener.settimeout(0.05)
    while True:
        try:
            conn, _ = listener.accept()
            conn.settimeout(None)
            return conn
        except socket.timeout:
            if process.poll() is not None:
                return None


def _release(conn: socket.socket, outcome: bytes) -> None:
    try:
        conn.sendall(outcome)
    except OSError:
        pass  # the gate is gone already: exec sees a failed command and publishes nothing
    finally:
        conn.close()


def _finish(process: "subprocess.Popen[str]", output: _Collector, *, expected_exit: int) -> Optional[Dict[str, Any]]:
    """Waits for exec, turns its warnings into NeffCacheWarning, and returns its report. Only a
    failure of exec itself (strict mode, a bug) raises; a store failure is a warning."""
    process.wait()
    output.join()
    if process.returncode != expected_exit:
        parse_cli_output(process.returncode, output.stdout, output.stderr)
        raise NeffCacheError(
            f"neff-cache exec exited with {process.returncode}: {output.stderr.strip()}",
            exit_code=process.returncode,
        )
    try:
        report = json.loads(output.stdout)
    except json.JSONDecodeError:
        raise NeffCacheError(f"neff-cache exec printed no report: {output.stderr.strip()}") from None
    for message in report.get("warnings", []):
        warnings.warn(f"neff-cache: {message}", NeffCacheWarning, stacklevel=4)
    return report
