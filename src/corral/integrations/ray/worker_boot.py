"""Run by a corral environment's python before Ray's worker script: Ray's site folders go *after* the
environment's own, so the locked packages win and Ray (with its dependencies) is still importable.

Ray starts a worker as `exec PY_EXECUTABLE default_worker.py ARGS`; with the corral field,
PY_EXECUTABLE is `ENV/bin/python worker_boot.py`. Imports only the standard library: it runs
inside the environment, where corral is not installed.
"""

import os
import runpy
import site
import sys


def main() -> None:
    """Append the node's Ray site folders, then run the worker script as `python SCRIPT ARGS` would."""
    for folder in os.environ.pop("CORRAL_RAY_SITE", "").split(os.pathsep):
        if folder and folder not in sys.path:
            site.addsitedir(folder)
    if len(sys.argv) < 2:
        sys.exit("worker_boot.py: no script to run")
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
