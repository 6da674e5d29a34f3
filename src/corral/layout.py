"""Where things are inside a prefix and inside the store: defined once, standard library only.

`corral run` reads these on its fast path, so this module imports nothing but `os` and keeps to
strings where the fast path needs them. Settings builds its store paths from the same names.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

# Inside every generation (a prefix).
CORRAL_META = os.path.join("conda-meta", "corral")
GENERATION_FILE = os.path.join(CORRAL_META, "generation.json")
ACTIVATION_CACHE = os.path.join(CORRAL_META, "activation.json")
PYTHON = os.path.join("bin", "python")

# Inside the store's root.
ENVS = "envs"
GENERATIONS = "generations"
PATHS = "_paths"  # under GENERATIONS: the homes of `-p PATH` environments
LOCKS = "locks"
RUN = "run"
TMP = "tmp"  # scratch folders of running changes (uv's requirement files), inside the store
CONDA_PKGS = os.path.join("cache", "conda", "pkgs")
CONDA_REPODATA = os.path.join("cache", "conda", "repodata")
PYPI_CACHE = os.path.join("cache", "pypi")
INTERPRETERS = os.path.join("cache", "interpreters.json")
PARSED_LOCKS = os.path.join("cache", "parsed-locks")  # lock files read before, as JSON, by content hash

# Inside an environment's home (generations/NAME).
ENV_FILE = "env.json"
HISTORY_FILE = "history.json"
NUMBERS_FILE = "numbers.json"
PENDING_FILE = "pending.json"


def python_path(prefix: Path) -> Path:
    """The interpreter of a generation (a conda python, or the venv link to a found one)."""
    return prefix / PYTHON
