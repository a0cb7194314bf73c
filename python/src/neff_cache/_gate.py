"""The command ``hub_neuronx_cache`` runs under ``neff-cache exec``: it tells the context manager
that exec has fetched (by connecting to its socket), then waits for the outcome of the ``with``
body and exits with it, so exec publishes only after a clean exit. A vanished context manager
(closed socket) counts as a failure."""

from __future__ import annotations

import signal
import socket
import sys


def main(argv: list) -> int:
    # Ctrl-C belongs to the Python program: the outcome arrives over the socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(argv[1])
        outcome = conn.recv(1)
    return 0 if outcome == b"0" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
