"""fetch_cache, sync_cache and lookup_cache with the seed's parameters, returning Python objects."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import CV, MODEL, TASK, entries
from neff_cache import NeffCacheError, fetch_cache, lookup_cache, sync_cache

# Floats Python writes in its own ways (1.0, 1e-05, 1e+16), an int, non-ASCII text, a nested list.
RECORD = {"batch_size": 1, "scale": 1.0, "eps": 1e-05, "big": 1e16, "name": "é", "shape": [1, 2.5]}


def test_records_round_trip_floats_and_match_pythons_bytes(store: Path, cache: Path, compile_model) -> None:
    assert compile_model("llama").returncode == 0
    result = sync_cache(MODEL, task=TASK, export_config=RECORD, compiler_version=CV, bucket_id=str(store), cache_dir=cache)
    assert len(result["published"]) == 1

    [record] = lookup_cache(MODEL, task=TASK, compiler_version=CV, on_version="0.4.6", bucket_id=str(store))
    assert record == RECORD
    assert [type(record[k]) for k in ("batch_size", "scale", "eps", "big")] == [int, float, float, float]
    assert type(record["shape"][1]) is float

    # The record's name and bytes are optimum-neuron's: sha256 of the compact sorted dump, indent=2 body.
    digest = hashlib.sha256(json.dumps(RECORD, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    path = store / f"neuronxcc-{CV}" / MODEL / TASK / "exports" / "0.4.6" / f"{digest[:8]}.json"
    assert path.read_bytes() == json.dumps(RECORD, sort_keys=True, indent=2).encode()
    assert lookup_cache(MODEL, on_version="0.0.1", bucket_id=str(store)) == []


def test_new_modules_limits_what_is_published(store: Path, cache: Path, compile_model) -> None:
    assert compile_model("one").returncode == 0
    assert compile_model("two").returncode == 0
    [first, second] = entries(cache)
    result = sync_cache(MODEL, new_modules=[second], compiler_version=CV, bucket_id=str(store), cache_dir=cache)
    assert [p["module"] for p in result["published"]] == [second]
    assert entries(store) == [second]
    assert sync_cache(MODEL, new_modules=[], compiler_version=CV, bucket_id=str(store), cache_dir=cache)["published"] == []
    assert entries(store) == [second]


def test_fetch_downloads_missing_entries_and_keeps_local_ones(tmp_path: Path, store: Path, cache: Path, compile_model) -> None:
    assert compile_model("llama", "--graphs", "2").returncode == 0
    sync_cache(MODEL, task=TASK, compiler_version=CV, bucket_id=str(store), cache_dir=cache)
    other = tmp_path / "other-cache"
    result = fetch_cache(MODEL, task=TASK, compiler_version=CV, bucket_id=str(store), cache_dir=other)
    assert sorted(f["module"] for f in result["fetched"]) == entries(cache) == entries(other)
    again = fetch_cache(MODEL, task=TASK, compiler_version=CV, bucket_id=str(store), cache_dir=other)
    assert again["fetched"] == []


def test_bad_input_is_a_clear_error(cache: Path) -> None:
    with pytest.raises(NeffCacheError) as caught:
        fetch_cache(MODEL, compiler_version=CV, bucket_id="gs://nope", cache_dir=cache)
    assert caught.value.exit_code == 2
    assert "gs://nope" in str(caught.value)
    with pytest.raises(NeffCacheError, match="model id"):
        lookup_cache("../etc", bucket_id="/tmp")
