"""hub_neuronx_cache: the seed's four phases with the compiler simulator, a failing body, a failed
compile, the export record set in the body, and store failures as warnings."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from conftest import CV, MODEL, TASK, entries
from neff_cache import NeffCacheWarning, hub_neuronx_cache, lookup_cache

CONFIG = {"batch_size": 1, "sequence_length": 4096, "tp_degree": 8, "scale": 1.0, "lr": 2.5e-05}


def cache_for(store: Path, cache: Path, **kwargs):
    return hub_neuronx_cache(
        model_id=MODEL, task=TASK, compiler_version=CV, bucket_id=str(store), cache_dir=cache, **kwargs
    )


def test_the_four_phases(store: Path, cache: Path, compile_model) -> None:
    # Phase 1: compile and publish to both areas, the export record last.
    with cache_for(store, cache, export_config=CONFIG) as ctx:
        compiled = compile_model("llama", "--graphs", "2")
        assert compiled.returncode == 0, compiled.stderr
        assert compiled.stderr.count("compiled:") == 2
    assert len(entries(store)) == 2
    assert entries(store, *MODEL.split("/"), TASK) == entries(store) == entries(cache)
    assert [p["module"] for p in ctx.report["cache"]["sync"]["published"]] == entries(cache)
    assert lookup_cache(MODEL, task=TASK, bucket_id=str(store)) == [CONFIG]

    # Phase 2: an empty cache is filled on enter, so the compile finds everything (no recompilation).
    shutil.rmtree(cache)
    with cache_for(store, cache) as ctx:
        assert entries(cache) == entries(store)
        compiled = compile_model("llama", "--graphs", "2")
        assert compiled.returncode == 0, compiled.stderr
        assert "compiled:" not in compiled.stderr
        assert compiled.stderr.count("cache hit") == 2
    assert len(ctx.report["cache"]["fetch"]["fetched"]) == 2
    assert ctx.report["cache"]["sync"] is None

    # Phases 3 and 4: warm, nothing to fetch, nothing compiled, nothing published.
    for _ in range(2):
        with cache_for(store, cache) as ctx:
            compiled = compile_model("llama", "--graphs", "2")
            assert "compiled:" not in compiled.stderr
        assert ctx.report["cache"]["fetch"]["fetched"] == []
        assert ctx.report["cache"]["sync"] is None
        assert ctx.report["cache"]["syncSkipped"] == "nothing new"


def test_a_failing_body_publishes_nothing(store: Path, cache: Path, compile_model) -> None:
    with pytest.raises(ValueError, match="the export failed"):
        with cache_for(store, cache, export_config=CONFIG) as ctx:
            assert compile_model("llama").returncode == 0
            raise ValueError("the export failed")
    assert len(entries(cache)) == 1, "the compiled entry stays in the local cache"
    assert entries(store) == []
    assert lookup_cache(MODEL, bucket_id=str(store)) == []
    assert ctx.report["cache"]["syncSkipped"] == "the command failed"


def test_a_failed_compile_is_never_published(store: Path, cache: Path, compile_model) -> None:
    with cache_for(store, cache):
        assert compile_model("good").returncode == 0
        assert compile_model("bad", "--fail").returncode != 0
    assert len(entries(cache)) == 2
    published = entries(store)
    assert len(published) == 1
    assert (cache / f"neuronxcc-{CV}" / published[0] / "model.neff").is_file()


def test_the_export_config_can_be_set_in_the_body(store: Path, cache: Path, compile_model) -> None:
    with cache_for(store, cache) as ctx:
        assert compile_model("llama").returncode == 0
        ctx.export_config = {"batch_size": 4, "temperature": 1.0}
    [record] = lookup_cache(MODEL, task=TASK, bucket_id=str(store))
    assert record == {"batch_size": 4, "temperature": 1.0}
    assert type(record["temperature"]) is float and type(record["batch_size"]) is int


def test_a_store_failure_is_a_warning_and_the_body_runs(tmp_path: Path, cache: Path, compile_model) -> None:
    missing = tmp_path / "not-mounted"
    with pytest.warns(NeffCacheWarning, match="does not exist"):
        with cache_for(missing, cache) as ctx:
            assert compile_model("llama").returncode == 0
    assert len(entries(cache)) == 1
    assert not missing.exists(), "a missing store is never created by a publish"
    assert ctx.report["exitCode"] == 0


def test_without_a_model_id_only_the_flat_area_is_published(store: Path, cache: Path, compile_model) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with hub_neuronx_cache(compiler_version=CV, bucket_id=str(store), cache_dir=cache):
            assert compile_model("llama").returncode == 0
    assert len(entries(store)) == 1
    assert not (store / f"neuronxcc-{CV}" / "unknown").exists()
    assert any("no --model" in str(w.message) for w in caught)
