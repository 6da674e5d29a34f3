"""The cost of finding hand edits (issue 20 item 7) on the bench environment (~2,700 owned files).

    python bench/snapshot.py [--repeat N]

Creates the bench environment (a real CPython, three real Python packages, a 2,000-file package)
with the CLI, then times in this process, median of N runs each:
1. writing the snapshot of a finished generation (one lstat a file, packed integers, fsync, rename);
2. the check a change makes before it solves, on an unedited generation (read + one lstat a file);
3. the same check after one file was edited in place (the edited file is also hashed).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import build_channel, clean_env

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def _median_ms(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corral-bench-snapshot-"))
    try:
        channel = build_channel(work)
        env = clean_env(work / "root")
        specs = ["python", "platformdirs", "filelock", "packaging", "bulk"]
        made = subprocess.run(
            [sys.executable, "-m", "corral", "create", "-n", "b", "-c", str(channel), *specs, "-y"],
            env=env,
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            raise SystemExit(made.stderr)
        from corral.preflight import hand_edits
        from corral.settings import load_settings
        from corral.store import generations as gens
        from corral.store import snapshot
        from corral.store.envs import env_ref

        settings = load_settings(env, {})
        ref = env_ref(settings, name="b")
        number = gens.current_generation(ref)
        assert number is not None
        prefix = gens.generation_dir(ref, number)
        record = gens.read_record(ref, number)
        owned = list(snapshot.read(prefix) or {})
        print(f"owned files in the snapshot: {len(owned)}")
        write = _median_ms(lambda: snapshot.write(prefix, owned), args.repeat)
        print(f"write the snapshot           median {write:7.2f} ms")
        check = _median_ms(lambda: hand_edits(prefix, record), args.repeat)
        print(f"check, nothing edited        median {check:7.2f} ms")
        target = prefix / "share" / "bulk" / "d0" / "f0.txt"
        target.unlink()  # an editor's save: a new inode with other bytes
        target.write_text("edited\n")
        found = hand_edits(prefix, record)
        assert [e.path for e in found] == ["share/bulk/d0/f0.txt"], found
        edited = _median_ms(lambda: hand_edits(prefix, record), args.repeat)
        print(f"check, one file replaced     median {edited:7.2f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
