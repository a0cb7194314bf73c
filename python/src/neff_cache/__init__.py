"""neff-cache from Python: the bundled neff-cache CLI, and optimum-neuron's bucket-cache API on
top of it (``hub_neuronx_cache``, ``fetch_cache``, ``sync_cache``, ``lookup_cache``).

Every cache decision (what to fetch, which entries are complete, what to publish, record bytes
and hashes) is the CLI's; this package only starts it and turns its ``--json`` output into
Python objects.
"""

from neff_cache._cli import NeffCacheError, NeffCacheWarning, cli_path, run_cli
from neff_cache._node import NodeNotFoundError, find_node
from neff_cache.bucket_cache import (
    CacheContext,
    fetch_cache,
    hub_neuronx_cache,
    lookup_cache,
    sync_cache,
)

__version__ = "0.1.0"

__all__ = [
    "CacheContext",
    "NeffCacheError",
    "NeffCacheWarning",
    "NodeNotFoundError",
    "cli_path",
    "fetch_cache",
    "find_node",
    "hub_neuronx_cache",
    "lookup_cache",
    "run_cli",
    "sync_cache",
]
