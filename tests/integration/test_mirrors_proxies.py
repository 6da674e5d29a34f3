"""Mirrors, proxies and TLS verification, over loopback servers.

Pinned behaviour: pixi's `[mirrors]` maps a channel URL prefix to mirrors that are asked instead
(rattler's mirror middleware rewrites each request); what is recorded names the channel, not the
mirror. conda's `proxy_servers: {http: URL, https: URL}` sends each request of that scheme through the
proxy, and `ssl_verify` is true, false, or a CA bundle to verify servers with (conda/base/context.py).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import socket
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Corral, Result
from tests.support.channel import index_channel, simple_package, write_conda_package
from tests.support.pypi import serve_simple_index

pytestmark = pytest.mark.slow

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
SECRET = "Pr0xy-s3cret-9z"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    seen: list[str]

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged to the test output."""

    def do_GET(self) -> None:
        """Note the path, then serve the file."""
        self.seen.append(self.path)
        super().do_GET()


@contextlib.contextmanager
def serve(root: Path, tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[str]]]:
    """Serve `root` on 127.0.0.1 (over TLS with `tls`); yield its URL and the paths asked for."""
    seen: list[str] = []
    handler = type("Handler", (_Quiet,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def forwarding_proxy() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A plain-HTTP forwarding proxy on 127.0.0.1 for GET: yields its address and (URL, Proxy-Authorization) seen."""
    seen: list[tuple[str, str]] = []
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    class Proxy(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Requests are not logged to the test output."""

        def do_HEAD(self) -> None:
            """As GET, without the body."""
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
            """Fetch the absolute URL asked for and hand back its answer."""
            seen.append((self.path, self.headers.get("Proxy-Authorization", "")))
            asked = urllib.request.Request(self.path, method="HEAD" if head else "GET")
            try:
                with direct.open(asked, timeout=30) as answer:
                    status, headers, body = answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as exc:
                status, headers, body = exc.code, exc.headers, exc.read()
            self.send_response(status)
            for name in ("Content-Type", "Last-Modified", "ETag"):
                if headers.get(name):
                    self.send_header(name, headers[name])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chan(tmp_path: Path) -> Path:
    folder = tmp_path / "chan"
    write_conda_package(folder, simple_package("liba", "1.0"))
    index_channel(folder)
    return folder


def configure(corral: Corral, text: str) -> None:
    """Write corral's config file for this test."""
    Path(corral.env["CORRAL_CONFIG"]).write_text(text)


def ok(result: Result) -> Result:
    """A successful run (its output shown when not)."""
    assert result.code == 0, result.err + result.out
    return result


def store_text(corral: Corral) -> str:
    """Every file of the store that records something (records, locks, history, specs), as one text."""
    texts = []
    for path in corral.root.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".lock", ".yml", ".toml", ".txt", ".jsonl", ""):
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def test_a_mirror_serves_a_channel_that_is_down_and_records_name_the_channel(corral: Corral, chan: Path) -> None:
    original = f"http://127.0.0.1:{closed_port()}/conda/chan"
    with serve(chan) as (mirror, seen):
        dead_mirror = f"http://127.0.0.1:{closed_port()}/down"  # the first mirror is down too: the next one serves
        configure(corral, f'[mirrors]\n"{original}" = ["{dead_mirror}", "{mirror}/"]\n')
        made = ok(corral("create", "-n", "m", "-c", original, "liba", "-y", "--json"))
        assert any("repodata" in p for p in seen) and any(p.endswith(".conda") or ".tar.bz2" in p for p in seen)
        locked = ok(corral("export", "-n", "m", "--format", "lock"))
        explicit = ok(corral("export", "-n", "m", "--format", "explicit"))
        history = ok(corral("history", "-n", "m", "--json"))
        listed = ok(corral("list", "-n", "m", "--json"))
        record = json.loads((corral.link("m") / "conda-meta" / "corral" / "generation.json").read_text())
    port = mirror.rsplit(":", 1)[1]
    for text in (made.out, locked.out, explicit.out, history.out, listed.out, json.dumps(record), store_text(corral)):
        assert f"127.0.0.1:{port}" not in text and dead_mirror not in text
    assert original in locked.out and original in explicit.out and original in json.dumps(record)
    (meta,) = (corral.link("m") / "conda-meta").glob("liba-*.json")
    assert json.loads(meta.read_text())["url"].startswith(original + "/")

    configure(corral, f'[mirrors]\n"{original}" = "not a url"\n')
    bad = corral("env", "list")
    assert bad.code == 1 and "mirrors" in bad.err and "not a URL" in bad.err and "Traceback" not in bad.err


def test_proxy_servers_from_condarc_carry_conda_and_pypi_requests(
    corral: Corral, chan: Path, wheels: Path, tmp_path: Path
) -> None:
    with forwarding_proxy() as (proxy, seen), serve(chan) as (channel, _), serve_simple_index(wheels) as index:
        condarc = tmp_path / "condarc"
        condarc.write_text(f"proxy_servers:\n  http: http://bob:{SECRET}@{proxy}\n")
        env = {"CONDARC": str(condarc), "NO_PROXY": "", "no_proxy": ""}
        runs = [corral("create", "-n", "p", "-c", channel, "liba", "-y", extra_env=env)]
        runs.append(
            corral("create", "-n", "q", "--python", PYTHON, "--pip", "six", "--index-url", index, "-y", extra_env=env)
        )
        runs.append(corral("config", "--show", "proxy-servers", "--show-sources", extra_env=env))
        runs.append(corral("config", "--show", "--json", extra_env=env))
    for result in runs:
        ok(result)
        assert SECRET not in result.out + result.err
    assert "condarc" in runs[2].out
    asked = [url for url, _ in seen]
    assert any(url.startswith(channel) and "repodata" in url for url in asked), asked
    assert any(url.startswith(index) for url in asked), asked  # uv went through it too
    assert all(auth.startswith("Basic ") for _, auth in seen)  # the proxy's credentials were sent
    assert SECRET not in store_text(corral)
    Path(corral.env["CORRAL_CONFIG"]).unlink(missing_ok=True)
    changed = ok(corral("config", "--set", "proxy-servers", f"https=http://bob:{SECRET}@{proxy}", "--json"))
    assert SECRET not in changed.out and SECRET in Path(corral.env["CORRAL_CONFIG"]).read_text()


def _certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A CA (openssl) and a server certificate for 127.0.0.1 it signed: (CA file, server cert, its key)."""
    ca, ca_key, cert, key, request = (folder / n for n in ("ca.pem", "ca.key", "cert.pem", "key.pem", "req.csr"))
    extensions = folder / "ext.cnf"
    extensions.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    ca_step = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=corral test CA"]
    sign = ["x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-days", "1"]
    steps = [
        [*ca_step, "-keyout", str(ca_key), "-out", str(ca)],
        ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(request)],
        [*sign, "-extfile", str(extensions), "-out", str(cert)],
    ]
    for step in steps:
        subprocess.run(["openssl", *step], check=True, capture_output=True, timeout=60)
    return ca, cert, key


def test_ssl_verify_with_a_ca_bundle_trusts_a_self_signed_server(
    corral: Corral, chan: Path, wheels: Path, tmp_path: Path
) -> None:
    ca, cert, key = _certificate(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    pypi_root = tmp_path / "pypi"
    with serve(chan, tls) as (channel, seen):
        refused = corral("create", "-n", "t", "-c", channel, "liba", "-y", extra_env={"CORRAL_NETWORK_RETRIES": "0"})
        assert refused.code == 1 and "Traceback" not in refused.err, refused.err
        assert not corral.link("t").exists()
        configure(corral, f'ssl-verify = "{ca}"\n')
        ok(corral("create", "-n", "t", "-c", channel, "liba", "-y"))
        configure(corral, "ssl-verify = false\n")
        fresh = {"CORRAL_ROOT": str(tmp_path / "fresh")}  # nothing cached: every file over TLS again
        before = len(seen)
        ok(corral("create", "-n", "t", "-c", channel, "liba", "-y", extra_env=fresh))
        assert any("repodata" in p for p in seen[before:])
    with serve_simple_index(wheels) as plain:  # uv: the same settings, an https copy of the index
        pypi_root.mkdir()
        for url_path in ("simple/six/index.html",):
            with urllib.request.urlopen(f"{plain}/six/", timeout=10) as page:
                (pypi_root / url_path).parent.mkdir(parents=True)
                (pypi_root / url_path).write_bytes(page.read())
        (pypi_root / "files").mkdir()
        for wheel in wheels.glob("six-*.whl"):
            (pypi_root / "files" / wheel.name).write_bytes(wheel.read_bytes())
    with serve(pypi_root, tls) as (index, seen):
        args = ("create", "-n", "u", "--python", PYTHON, "--pip", "six", "--index-url", f"{index}/simple", "-y")
        configure(corral, "")
        refused = corral(*args)
        assert refused.code == 1 and "Traceback" not in refused.err, refused.err
        condarc = tmp_path / "condarc"  # conda's own key, read from a .condarc
        condarc.write_text(f"ssl_verify: {ca}\n")
        ok(corral(*args, extra_env={"CONDARC": str(condarc)}))
        configure(corral, "ssl-verify = false\n")
        ok(corral("create", "-n", "v", *args[3:]))
    configure(corral, f'ssl-verify = "{tmp_path / "missing.pem"}"\n')
    bad = corral("env", "list")
    assert bad.code == 1 and "ssl-verify" in bad.err and "missing.pem" in bad.err
