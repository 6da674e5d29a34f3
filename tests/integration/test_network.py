"""A channel server that fails (issue 20 item 9): 5xx answers are retried with back-off, a server that
never answers is given up on after the network timeout, and the error names the URL.

Pinned behaviour: conda retries failed requests (`remote_max_retries`, default 3, with back-off) and
gives up on a read that takes longer than `remote_read_timeout_secs` (conda/base/context.py);
corral's `network-retries` and `network-timeout` settings play those parts.
"""

from __future__ import annotations

import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import index_channel, simple_package, write_conda_package

pytestmark = pytest.mark.slow


@contextmanager
def faulty_channel(root: Path, mode: str) -> Iterator[tuple[str, dict[str, int]]]:
    """Serve `root` on 127.0.0.1; `fail2`: the first two requests of each repodata file get a 500;
    `hang`: repodata requests are accepted and never answered (until the server stops)."""
    seen: dict[str, int] = {}
    stop = threading.Event()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen[self.path] = seen.get(self.path, 0) + 1
            if "repodata" in self.path and mode == "fail2" and seen[self.path] <= 2:
                self.send_error(500, "flaky")
                return
            if "repodata" in self.path and mode == "hang":
                stop.wait(30)
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Path:
    chan = tmp_path / "chan"
    write_conda_package(chan, simple_package("liba", "1.0"))
    index_channel(chan)
    return chan


def test_5xx_answers_are_retried(corral: Corral, served: Path) -> None:
    with faulty_channel(served, "fail2") as (url, seen):
        res = corral("create", "-n", "r", "-c", url, "liba", "-y")
    assert res.code == 0, res.err
    assert max(n for path, n in seen.items() if "repodata" in path) >= 3  # two 500s, then the answer


def test_a_server_that_never_answers_is_given_up_on(corral: Corral, served: Path) -> None:
    env = {"CORRAL_NETWORK_TIMEOUT": "2", "CORRAL_NETWORK_RETRIES": "0"}
    with faulty_channel(served, "hang") as (url, _):
        start = time.monotonic()
        res = corral("create", "-n", "h", "-c", url, "liba", "-y", extra_env=env)
        took = time.monotonic() - start
    assert res.code != 0 and "Traceback" not in res.err
    assert "127.0.0.1" in res.err and "did not answer within network-timeout (2 s" in res.err, res.err
    assert took < 60, took
    assert not corral.link("h").exists()
    shutil.rmtree(served)
