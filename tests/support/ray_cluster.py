"""A real Ray cluster of several nodes on 127.0.0.1, for tests and benchmarks, stopped by pid.

Each node is a `ray start --block` in a session of its own, with its own --temp-dir and ports
chosen free on loopback; stopping sends it SIGTERM (it stops the processes it started), then
kills its process group and any process whose command line names the node's temp dir. Nothing
else on the machine is touched (no `ray stop`, which stops every Ray of the user).

Ray 2.60 binds its GCS and raylet gRPC servers to 0.0.0.0 whatever --node-ip-address says, and
turns 127.0.0.1 into the machine's address; so `loopback_namespace` runs a whole scenario in a
network namespace of its own whose only interface is loopback (`unshare --net --map-root-user`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")
PLUGINS = '[{"class": "corral.integrations.ray.plugin.CorralPlugin"}]'


class RayUnavailable(Exception):
    """Ray is not installed, or its cluster did not come up."""


def short_temp_prefix() -> str:
    """A fresh short path prefix for the nodes' temp dirs."""
    return f"/tmp/cr{os.getpid()}-{time.monotonic_ns() % 10**6}"


def namespace_problem() -> str:
    """Why a loopback-only network namespace cannot be made here ('' when it can)."""
    if shutil.which("unshare") is None:
        return "no `unshare` (util-linux) to make a loopback-only network namespace"
    done = subprocess.run(["unshare", "--net", "--map-root-user", "true"], capture_output=True, text=True)
    if done.returncode != 0:
        return f"cannot make a network namespace (unshare: {done.stderr.strip()[-200:]})"
    return ""


def loopback_namespace(argv: Sequence[str]) -> list[str]:
    """`argv` run in a new network namespace whose only interface, loopback, is brought up first."""
    return ["unshare", "--net", "--map-root-user", sys.executable, "-c", _LO_UP, *argv]


_LO_UP = """
import fcntl, os, socket, struct, sys
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP
    flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH22x", b"lo", 0))[:18])[1]
    fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", flags | 1))
assert [name for _, name in socket.if_nameindex()] == ["lo"], socket.if_nameindex()
os.execv(sys.argv[1], sys.argv[1:])
"""


def kill_naming(prefix: str) -> None:
    """SIGKILL every process whose command line names `prefix` (a scenario's nodes, after a timeout)."""
    for pid in _pids_naming([Path(prefix)]):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 now (held open together, so they differ)."""
    held = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            held.append(s)
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


@dataclass
class Cluster:
    """The nodes' processes and the address a driver gives `ray.init`."""

    address: str
    temp_dirs: list[Path]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        """Worker nodes first, then the head: SIGTERM, a bounded wait, then SIGKILL by pid."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in reversed(self.procs):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for pid in _pids_naming(self.temp_dirs):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _pids_naming(dirs: list[Path]) -> list[int]:
    """Processes of this user whose command line names one of `dirs` (what the nodes started)."""
    marks = [str(d).encode() for d in dirs]
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if any(m in cmdline for m in marks):
            found.append(int(entry))
    return found


def _node_argv(temp_dir: Path, ports: list[int], head: str | None) -> list[str]:
    argv = [str(RAY), "start", "--block", "--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats"]
    argv += [f"--temp-dir={temp_dir}", f"--object-manager-port={ports[0]}", f"--node-manager-port={ports[1]}"]
    argv += [f"--dashboard-agent-listen-port={ports[2]}", f"--dashboard-agent-grpc-port={ports[3]}"]
    argv += [f"--runtime-env-agent-port={ports[4]}", f"--metrics-export-port={ports[5]}"]
    argv += [f"--min-worker-port={ports[6]}", f"--max-worker-port={ports[6] + 40}"]
    if head is None:
        return [
            *argv,
            "--head",
            f"--port={ports[7]}",
            "--include-dashboard=false",
            f"--ray-client-server-port={ports[8]}",
        ]
    return [*argv, f"--address={head}"]


@contextlib.contextmanager
def cluster(
    base: Path,
    env: Mapping[str, str],
    nodes: int = 2,
    timeout: float = 120,
    node_envs: Sequence[Mapping[str, str]] = (),
    temp_prefix: str = "",
) -> Iterator[Cluster]:
    """`nodes` Ray nodes (the first the head) with corral's plugin registered; stopped when the block ends.

    `node_envs[i]` adds variables to node i's environment (CORRAL_RAY_ROOT, cache sizes); node i's
    temp dir is `temp_prefix-i` (short: Ray's socket paths must fit in 107 bytes)."""
    if not RAY.is_file():
        raise RayUnavailable(f"no `ray` next to {sys.executable} (ray[default] is in the test extra)")
    node_env = {**env, "RAY_RUNTIME_ENV_PLUGINS": PLUGINS}
    prefix = temp_prefix or short_temp_prefix()
    temp_dirs = [Path(f"{prefix}-{i}") for i in range(nodes)]
    made = Cluster(address="", temp_dirs=temp_dirs)
    try:
        for i, temp_dir in enumerate(temp_dirs):
            ports = free_ports(9)
            if i == 0:
                made.address = f"127.0.0.1:{ports[7]}"
            log = open(base / f"ray-node-{i}.log", "wb")  # noqa: SIM115 (the node writes it while it runs)
            argv = _node_argv(temp_dir, ports, None if i == 0 else made.address)
            extra = node_envs[i] if i < len(node_envs) else {}
            made.procs.append(
                subprocess.Popen(
                    argv, env={**node_env, **extra}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
            log.close()
            if i == 0:
                _wait_for_port(made, ports[7], timeout)
        _wait_for_nodes(made, nodes, env, timeout)
        yield made
    finally:
        made.stop()
        for temp_dir in temp_dirs:
            subprocess.run(["rm", "-rf", str(temp_dir)], check=False)


def _wait_for_port(made: Cluster, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if made.procs[0].poll() is not None:
            raise RayUnavailable(f"the head node exited ({made.procs[0].returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.3)
    raise RayUnavailable(f"the head node did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


WAIT = """
import sys, time, ray
ray.init(address=sys.argv[1], _node_ip_address="127.0.0.1", logging_level="ERROR")
deadline = time.monotonic() + float(sys.argv[3])
while sum(n["Alive"] for n in ray.nodes()) < int(sys.argv[2]):
    if time.monotonic() > deadline:
        sys.exit("nodes did not join")
    time.sleep(0.3)
"""


def _wait_for_nodes(made: Cluster, nodes: int, env: Mapping[str, str], timeout: float) -> None:
    """Until `nodes` nodes are alive, asked by a driver of its own."""
    done = subprocess.run(
        [sys.executable, "-c", WAIT, made.address, str(nodes), str(timeout)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout + 30,
    )
    if done.returncode != 0:
        raise RayUnavailable(f"the cluster did not come up: {done.stderr[-2000:]}")
