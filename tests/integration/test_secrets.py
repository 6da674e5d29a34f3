"""Credentials in conda channel URLs and PyPI index URLs: used, never recorded, never shown.

Loopback servers stand for private channels: one wants HTTP basic auth (`user:password@`), one a
conda token in the path (`/t/TOKEN/`, as anaconda.org), one is a PEP 503 index with basic auth.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import Corral, Result

PASSWORD = "pw-Xq7Zs3cret"
TOKEN = "tk-9f8e7d6c5b4a"
SECRETS = (PASSWORD, TOKEN)


@dataclass
class Seen:
    """What a loopback server saw: requests with and without valid credentials, uv argvs seen meanwhile."""

    good: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    argv_with_secret: list[str] = field(default_factory=list)


def _handler(root: Path, mode: str, seen: Seen) -> type[http.server.SimpleHTTPRequestHandler]:
    want = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Requests are not logged to the test output."""

        def do_GET(self) -> None:
            """Serve only requests with the credentials; note uv's argv while it waits for us."""
            seen.argv_with_secret += _processes_with_secret()
            if mode == "token" and self.path.startswith(f"/t/{TOKEN}/"):
                self.path = self.path[len(f"/t/{TOKEN}") :]
            elif mode == "token" or self.headers.get("Authorization") != want:
                seen.refused.append(self.path)
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="private"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            seen.good.append(self.path)
            super().do_GET()

    return functools.partial(Handler, directory=str(root))  # type: ignore[return-value]


def _processes_with_secret() -> list[str]:
    """Command lines of the running uv processes (what `ps` shows) that hold a secret."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if os.path.basename(argv[0]) == "uv" and any(s in " ".join(argv) for s in SECRETS):
            found.append(" ".join(argv))
    return found


@contextlib.contextmanager
def serve(root: Path, mode: str) -> Iterator[tuple[int, Seen]]:
    """Serve `root` on 127.0.0.1 to requests with credentials (`basic` or `token`); yield the port."""
    seen = Seen()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, mode, seen))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def _channel_url(port: int, mode: str, host: str = "127.0.0.1", password: str = PASSWORD) -> str:
    if mode == "token":
        return f"http://{host}:{port}/t/{TOKEN}/chan"
    return f"http://alice:{password}@{host}:{port}/chan"


def _no_secret(*results: Result) -> None:
    for result in results:
        for secret in SECRETS:
            assert secret not in result.out and secret not in result.err, (result.out, result.err)


def _files_with_secret(*roots: Path, skip: tuple[Path, ...]) -> list[str]:
    """Files under `roots` (but those in `skip`: the user's own input, the credentials file) that hold a secret."""
    hits = []
    for root in roots:
        for path in root.rglob("*"):
            if path in skip or path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            if any(s.encode() in data for s in SECRETS):
                hits.append(str(path))
    return hits


@pytest.mark.parametrize("mode", ["basic", "token"])
def test_channel_credentials_authenticate_later_changes_and_are_never_recorded_or_shown(
    corral: Corral, channel: Path, mode: str
) -> None:
    """conda writes conda-meta `url` without user:password and with the token masked
    (conda/core/prefix_data.py `insert`: url_remove_auth(mask_anaconda_token(url))) and its explicit
    export without them (conda/cli/main_list.py: remove_auth(split_anaconda_token(url)[0])); corral
    records no secret anywhere, and later changes authenticate from its credentials file."""
    site = corral.cwd / "site"
    site.mkdir()
    (site / "chan").symlink_to(channel)
    with serve(site, mode) as (port, seen):
        url = _channel_url(port, mode)
        clean = f"http://127.0.0.1:{port}/chan"
        made = corral("create", "-n", "sec", "-c", url, "liba", "-y", "--json")
        assert made.code == 0, made.err
        # no -c: the recorded channel is the clean URL; the credentials come from corral's file
        moved = corral("install", "-n", "sec", "app", "-y", "--json")
        assert moved.code == 0, moved.err
        record = json.loads((corral.link("sec") / "conda-meta" / "corral" / "generation.json").read_text())
        assert record["spec"]["channels"] == [clean]
        assert {e["channel"].rstrip("/") for e in record["locked"]["conda"]} == {clean}
        meta = json.loads(next((corral.link("sec") / "conda-meta").glob("app-1.0-*.json")).read_text())
        assert meta["url"].startswith(f"{clean}/") and meta["channel"].rstrip("/") == clean

        env_file = corral.cwd / "environment.yml"
        env_file.write_text(f"channels: [{url}]\ndependencies: [app]\n")
        outputs = [made, moved, corral("lock", "-f", str(env_file), "--json")]
        for fmt in ("environment.yml", "explicit", "lock", "pixi.lock", "conda-lock.yml"):
            out = corral.cwd / f"export-{fmt}"
            outputs.append(corral("export", "-n", "sec", "--format", fmt, "-o", str(out)))
            assert outputs[-1].code == 0 and out.is_file(), outputs[-1].err
        explicit = (corral.cwd / "export-explicit").read_text()
        assert clean in explicit
        # an explicit file and a `URL::name` spec that carry the secret: used, then recorded without it
        secret_explicit = corral.cwd / "explicit-with-secret.txt"
        secret_explicit.write_text(explicit.replace(clean, url))
        outputs.append(corral("create", "-n", "exp", "-f", str(secret_explicit), "-y", "--json"))
        outputs.append(corral("install", "-n", "exp", f"{url}::prefixed", "-y", "--json"))
        assert all(o.code == 0 for o in outputs[-2:]), outputs[-1].err + outputs[-2].err
        assert corral.link("exp").joinpath("bin", "prefixed").is_file()
        outputs += [corral(*c, "--json") for c in (("list", "-n", "sec"), ("history", "-n", "sec"), ("env", "list"))]
        outputs += [corral("info", "--json"), corral("history", "-n", "sec")]
        assert all(o.code == 0 for o in outputs), [o.err for o in outputs if o.code]

        # the lock alone, with nothing cached: every download needs the stored credentials
        assert all(corral("env", "remove", "-n", name, "-y").code == 0 for name in ("sec", "exp"))
        assert corral("clean", "--all", "-y").code == 0
        before = len(seen.good)
        again = corral("create", "-n", "again", "--lock", "corral.lock", "-y", "--json")
        assert again.code == 0, again.err
        assert len(seen.good) > before
        assert corral("doctor", "-n", "again", "--json").code == 0
        outputs.append(again)
        # a lock (or a pixi.lock) that someone wrote with the secret in its URLs: used, not copied
        secret_lock = corral.cwd / "secret.lock"
        secret_lock.write_text(
            re.sub(f"url: {re.escape(clean)}", f"url: {url}", (corral.cwd / "corral.lock").read_text())
        )
        secret_pixi = corral.cwd / "secret-pixi.lock"
        secret_pixi.write_text((corral.cwd / "export-pixi.lock").read_text().replace(clean, url))
        assert url in secret_lock.read_text() and url in secret_pixi.read_text()
        outputs.append(corral("create", "-n", "locked", "--lock", str(secret_lock), "-y", "--json"))
        outputs.append(corral("export", "--lock", str(secret_lock), "--format", "conda-lock.yml"))
        outputs.append(corral("lock", "--from", str(secret_pixi), "-o", "imported.lock", "--json"))
        assert all(o.code == 0 for o in outputs[-3:]), [o.err for o in outputs[-3:]]

        # a wrong secret (another host name, so the good credential stays): refused, nothing shown
        wrong = "wrong-" + PASSWORD[::-1]
        bad_url = _channel_url(port, mode, "localhost", wrong)
        if mode == "token":
            bad_url = f"http://localhost:{port}/t/{TOKEN}x/chan"
        refused = corral("create", "-n", "bad", "-c", bad_url, "liba", "-y")
        refused_json = corral("create", "-n", "bad", "-c", bad_url, "liba", "-y", "--json")
        for failed in (refused, refused_json):
            assert failed.code != 0 and "Traceback" not in failed.err
            assert wrong not in failed.out + failed.err and f"{TOKEN}x" not in failed.out + failed.err
        assert "credentials" in refused.err, refused.err
        outputs += [refused, refused_json]

    assert seen.good and seen.refused
    _no_secret(*outputs)
    credentials = corral.root / "credentials.json"
    assert os.stat(credentials).st_mode & 0o777 == 0o600
    stored = json.loads(credentials.read_text())["127.0.0.1"]
    basic = {"BasicHTTP": {"username": "alice", "password": PASSWORD}}
    assert stored == ({"CondaToken": TOKEN} if mode == "token" else basic)
    assert (
        _files_with_secret(
            corral.root, corral.cwd, skip=(credentials, env_file, secret_explicit, secret_lock, secret_pixi)
        )
        == []
    )


def _simple_index(wheels: Path, root: Path) -> None:
    """A PEP 503 layout of the wheels in `wheels` under root/simple and root/files."""
    (root / "files").mkdir(parents=True)
    projects: dict[str, list[Path]] = {}
    for wheel in sorted(wheels.glob("*.whl")):
        projects.setdefault(re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower(), []).append(wheel)
        (root / "files" / wheel.name).write_bytes(wheel.read_bytes())
    for project, files in projects.items():
        (root / "simple" / project).mkdir(parents=True)
        links = "".join(f'<a href="/files/{f.name}">{f.name}</a>\n' for f in files)
        (root / "simple" / project / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")


def test_pypi_index_password_reaches_uv_through_its_environment_not_its_argv(corral: Corral, wheels: Path) -> None:
    """A password-protected index works, while no process (`ps`, /proc/PID/cmdline) shows the password."""
    _simple_index(wheels, corral.cwd / "index")
    with serve(corral.cwd / "index", "basic") as (port, seen):
        index = f"http://alice:{PASSWORD}@127.0.0.1:{port}/simple"
        made = corral("create", "-n", "p", "--python", "3.11", "--pip", "tinyapp", "--index-url", index, "-y", "--json")
        assert made.code == 0, made.err
        extra = corral("pip", "install", "-n", "p", "six", "--extra-index-url", index, "-y", "--json")
        assert extra.code == 0, extra.err
    assert any(p.startswith("/files/tinyapp-") for p in seen.good) and any("six" in p for p in seen.good)
    assert seen.argv_with_secret == []
    _no_secret(made, extra, corral("export", "-n", "p", "--format", "requirements.txt"))
    assert _files_with_secret(corral.root, skip=(corral.root / "credentials.json",)) == []
