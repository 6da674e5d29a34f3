"""Jupyter kernels for environments (issue 18), started by a real jupyter_client.

Pinned behaviour: Jupyter finds user kernelspecs in `$JUPYTER_DATA_DIR/kernels` (jupyter_core's
`jupyter_data_dir`), each a folder with a kernel.json whose argv starts the kernel with
`{connection_file}`, as `python -m ipykernel install --user --name ml` writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_a_kernel_runs_the_environments_python_with_its_activation(
    corral: Corral, channel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_client.manager import KernelManager

    made = corral("create", "-n", "nb", "-c", str(channel), "python", "filelock", "--pip", "ipykernel", "-y")
    assert made.code == 0, made.err
    assert corral("env", "config", "vars", "set", "-n", "nb", "FROM_CORRAL=yes", "-y").code == 0
    data = tmp_path / "jupyter"
    env = {"JUPYTER_DATA_DIR": str(data)}
    res = corral("kernel", "install", "-n", "nb", "--display-name", "ML (corral)", extra_env=env)
    assert res.code == 0, res.err
    spec = json.loads((data / "kernels" / "corral-nb" / "kernel.json").read_text())
    assert spec["display_name"] == "ML (corral)" and "{connection_file}" in spec["argv"]
    assert corral("kernel", "list", "--json", extra_env=env).json()["result"]["kernels"][0]["env"] == "nb"

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("CORRAL_CONFIG", corral.env["CORRAL_CONFIG"])
    manager = KernelManager(kernel_name="corral-nb")
    manager.start_kernel()
    try:
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=120)
        printed: list[str] = []

        def keep(message: dict[str, object]) -> None:
            content = message.get("content")
            if message.get("msg_type") == "stream" and isinstance(content, dict):
                printed.append(str(content.get("text", "")))

        code = "import os, sys, filelock; print(sys.prefix); print(os.environ.get('FROM_CORRAL'))"
        reply = client.execute_interactive(code, output_hook=keep, timeout=60)
        assert reply["content"]["status"] == "ok", reply
        prefix, variable = "".join(printed).split()
        assert Path(prefix).resolve() == corral.link("nb").resolve() and variable == "yes"
        client.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)
    assert corral("kernel", "remove", "corral-nb", extra_env=env).code == 0
    assert not (data / "kernels" / "corral-nb").exists()


def test_a_kernel_needs_ipykernel(corral: Corral, channel: Path, tmp_path: Path) -> None:
    assert corral("create", "-n", "bare", "-c", str(channel), "python", "-y").code == 0
    res = corral("kernel", "install", "-n", "bare", extra_env={"JUPYTER_DATA_DIR": str(tmp_path / "j")})
    assert res.code == 1 and "has no ipykernel" in res.err and "corral pip install -n bare ipykernel" in res.err
    gone = corral("kernel", "remove", "nope", extra_env={"JUPYTER_DATA_DIR": str(tmp_path / "j")})
    assert gone.code == 1 and "no corral kernel named 'nope'" in gone.err
