"""Fixtures: a fresh local compile cache and directory store per test, the compiler simulator
of the repository (tools/neuronx-cc-sim), and an environment that reaches no real bucket."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable, List

import pytest

ROOT = Path(__file__).resolve().parents[2]
CV = "2.21.33363.0+82129205"
MODEL = "test-org/test-model"
TASK = "feature-extraction"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user configuration leaks in: HF_HOME, the bucket variables and flags are the test's."""
    for name in list(os.environ):
        if name.startswith(("NEURON_", "NEFF_CACHE_", "AWS_", "HF_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("NEFF_CACHE_OPTIMUM_NEURON_VERSION", "0.4.6")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    path.mkdir()
    return path


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def compile_model(cache: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Runs the compiler simulator on the test's cache: ``compile_model("graph", "--graphs", "2")``."""
    node = shutil.which("node")
    assert node is not None, "the tests need node on PATH to run the compiler simulator"
    loader = (ROOT / "node_modules" / "tsx" / "dist" / "loader.mjs").as_uri()
    simulator = ROOT / "tools" / "neuronx-cc-sim" / "main.ts"

    def run(graph: str, *args: str) -> subprocess.CompletedProcess:
        argv: List[str] = [node, "--import", loader, str(simulator), "--graph-text", graph]
        argv += ["--cache-dir", str(cache), "--compiler-version", CV, *args]
        return subprocess.run(argv, capture_output=True, text=True)

    return run


def entries(root: Path, *area: str) -> List[str]:
    """The MODULE_ entry names under ``root/neuronxcc-<cv>/<area…>``."""
    where = root.joinpath(f"neuronxcc-{CV}", *area)
    if not where.is_dir():
        return []
    return sorted(p.name for p in where.iterdir() if p.is_dir() and p.name.startswith("MODULE_"))
