"""Store-wide commands on a large synthetic store: `corral du`, `clean --dry-run`, `doctor` vs `du -sk`.

    python bench/store.py [--repeat N] [--packages 100] [--files 5000] [--envs 25] [--keep DIR]

Builds (once, reused with --keep) a store of at least 10^6 inodes shaped like a real one: a conda
package cache of `packages` x `files` files, and `envs` environments of two generations each, every
generation hardlinking ten cached packages (with conda-meta records listing every file and its
sha256) and holding files of its own. Then times each command in a fresh process, median of N,
beside `du -sk` of the same store in the same run (the floor: one walk by a C program).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import clean_env, row, time_command

EMPTY = hashlib.sha256(b"").hexdigest()


def build(root: Path, packages: int, files: int, envs: int) -> None:
    """Write the synthetic store under `root` (skipped when it is already complete)."""
    if (root / ".complete").exists():
        return
    pkgs = root / "cache" / "conda" / "pkgs"
    names = [f"pkg{p:03d}-1.0-0" for p in range(packages)]
    rels = [f"share/d{i // 100}/f{i}" for i in range(files)]
    for stem in names:
        base = pkgs / stem
        for d in {os.path.dirname(r) for r in rels}:
            (base / d).mkdir(parents=True, exist_ok=True)
        for rel in rels:
            (base / rel).touch()
        (base / "info").mkdir(exist_ok=True)
        (base / "info" / "index.json").write_text(json.dumps({"name": stem.split("-")[0], "version": "1.0"}))
    for e in range(envs):
        name = f"env{e:02d}"
        home = root / "generations" / name
        home.mkdir(parents=True, exist_ok=True)
        (home / "env.json").write_text(json.dumps({"schema": 1, "name": name, "path": str(root / "envs" / name)}))
        entries = []
        for number in (1, 2):
            gen = home / str(number)
            chosen = [names[(e * 3 + number + k) % packages] for k in range(10)]
            meta = gen / "conda-meta"
            meta.mkdir(parents=True, exist_ok=True)
            for stem in chosen:
                for d in {os.path.dirname(r) for r in rels}:
                    (gen / stem / d).mkdir(parents=True, exist_ok=True)
                for rel in rels:
                    os.link(pkgs / stem / rel, gen / stem / rel)
                record = {
                    "name": stem.split("-")[0],
                    "version": "1.0",
                    "build": "0",
                    "build_number": 0,
                    "subdir": "noarch",
                    "channel": "file:///synthetic",
                    "url": f"file:///synthetic/noarch/{stem}.tar.bz2",
                    "files": [f"{stem}/{r}" for r in rels],
                    "paths_data": {
                        "paths": [
                            {"_path": f"{stem}/{r}", "path_type": "hardlink", "sha256": EMPTY, "size_in_bytes": 0}
                            for r in rels
                        ],
                        "paths_version": 1,
                    },
                }
                (meta / f"{stem}.json").write_text(json.dumps(record))
            own = gen / "own"
            for i in range(files * 2):
                if i % 100 == 0:
                    (own / f"d{i // 100}").mkdir(parents=True, exist_ok=True)
                (own / f"d{i // 100}" / f"u{i}").touch()
            record_meta = gen / "conda-meta" / "corral"
            record_meta.mkdir(parents=True, exist_ok=True)
            locked = {"platform": "linux-64", "virtual-packages": [], "conda": [], "pypi": []}
            (record_meta / "generation.json").write_text(
                json.dumps(
                    {
                        "schema": 2,
                        "number": number,
                        "created": "2026-12-01T00:00:00+00:00",
                        "action": "create",
                        "command": "synthetic",
                        "spec": {"channels": ["file:///synthetic"]},
                        "locked": locked,
                        "extra_files": [f"own/d{i // 100}/u{i}" for i in range(files * 2)],
                    }
                )
            )
            entries.append({"generation": number, "time": "2026-12-01T00:00:00+00:00", "action": "create"})
        (home / "history.json").write_text(json.dumps({"schema": 1, "entries": entries}))
        (root / "envs").mkdir(exist_ok=True)
        link = root / "envs" / name
        if not link.is_symlink():
            os.symlink(home / "2", link)
    (root / ".complete").touch()


def count_inodes(root: Path) -> int:
    """Distinct inodes under `root` (what the store's size in files is)."""
    seen = set()
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            st = os.lstat(os.path.join(folder, name))
            seen.add((st.st_dev, st.st_ino))
    return len(seen)


def main() -> None:
    """Build the store, then time du, clean --dry-run and doctor beside `du -sk`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--packages", type=int, default=100)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--envs", type=int, default=25)
    parser.add_argument("--keep", default="", help="build the store here and keep it for the next run")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="corral-bench-store-"))
    root = work / "root"
    build(root, args.packages, args.files, args.envs)
    print(f"store: {root}, {count_inodes(root):,} inodes")
    env = clean_env(root)
    corral = [sys.executable, "-m", "corral"]
    floor = time_command(["du", "-sk", str(root)], env=env, repeat=args.repeat)
    print(row("du -sk (baseline)", floor))
    for label, argv in (
        ("corral du", [*corral, "du", "--json"]),
        ("corral clean --dry-run --all", [*corral, "clean", "--dry-run", "--all", "--json"]),
        ("corral doctor -n env00", [*corral, "doctor", "-n", "env00", "--json"]),
    ):
        times = time_command(argv, env=env, repeat=args.repeat, ok=(0, 1))
        print(row(label, times) + f"   {statistics.median(times) / statistics.median(floor):5.1f}x du -sk")


if __name__ == "__main__":
    main()
