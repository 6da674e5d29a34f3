"""`kernels = "auto"`: an environment whose generation has ipykernel gets its Jupyter kernel, kept in step.

Pinned behaviour: Jupyter lists user kernelspecs from `$JUPYTER_DATA_DIR/kernels` (jupyter_client's
KernelSpecManager, asked here directly). The kernel follows the current generation: written when
ipykernel arrives (any road: install, pip install, rollback), removed when it leaves and with the
environment; a kernel the user wrote with `corral kernel install` is never touched by the setting.
The ipykernel here is a wheel written at test time (the setting looks at the installed
distributions only; tests/integration/test_kernels.py starts a real kernel from PyPI).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import Corral, Result
from tests.support.pypi import write_wheel

pytestmark = pytest.mark.slow

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def ok(result: Result) -> Result:
    """A successful run (its output shown when not)."""
    assert result.code == 0, result.err + result.out
    return result


def listed(data: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The kernelspecs Jupyter itself finds (name -> folder)."""
    from jupyter_client.kernelspec import KernelSpecManager

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    found = KernelSpecManager().find_kernel_specs()
    return {name: path for name, path in found.items() if name.startswith("corral-")}


def test_auto_kernels_follow_the_generation(corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = tmp_path / "wheels"
    write_wheel(wheels, "six", "1.17.0", modules={"six.py": "VERSION = '1.17.0'\n"})
    write_wheel(wheels, "ipykernel", "6.29.0", modules={"ipykernel/__init__.py": ""})
    index = ("--no-index", "--find-links", str(wheels))
    data = tmp_path / "jupyter"
    corral.env["JUPYTER_DATA_DIR"] = str(data)
    Path(corral.env["CORRAL_CONFIG"]).write_text('kernels = "auto"\n')

    ok(corral("create", "-n", "nb", "--python", PYTHON, "--pip", "six", *index, "-y"))
    assert listed(data, monkeypatch) == {}  # no ipykernel, no kernel
    ok(corral("pip", "install", "-n", "nb", "ipykernel", *index, "-y"))
    kernels = listed(data, monkeypatch)
    assert list(kernels) == ["corral-nb"]
    spec_file = Path(kernels["corral-nb"]) / "kernel.json"
    spec = json.loads(spec_file.read_text())
    assert spec["argv"][-8:] == ["run", "-n", "nb", "python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert spec["metadata"]["corral"]["auto"] is True and spec["env"]["CORRAL_ROOT"] == str(corral.root)
    written = spec_file.stat().st_mtime_ns
    ok(corral("pip", "install", "-n", "nb", "six==1.17.0", *index, "-y"))  # another change: the same kernel
    assert spec_file.stat().st_mtime_ns == written  # idempotent: not rewritten
    listing = ok(corral("kernel", "list", "--json")).json()["result"]["kernels"]
    assert [k["name"] for k in listing] == ["corral-nb"]

    ok(corral("pip", "uninstall", "-n", "nb", "ipykernel", "-y"))
    assert listed(data, monkeypatch) == {}  # the generation has no ipykernel any more
    ok(corral("rollback", "-n", "nb", "-y"))
    assert list(listed(data, monkeypatch)) == ["corral-nb"]  # back with the generation that has it

    ok(corral("create", "-n", "mine", "--python", PYTHON, "--pip", "ipykernel", *index, "-y"))
    ok(corral("kernel", "install", "-n", "mine", "--display-name", "Mine"))
    ok(corral("pip", "uninstall", "-n", "mine", "ipykernel", "-y"))
    mine = listed(data, monkeypatch)
    assert "corral-mine" in mine  # the user's own kernel is left as it is
    assert json.loads((Path(mine["corral-mine"]) / "kernel.json").read_text())["display_name"] == "Mine"

    ok(corral("env", "remove", "-n", "nb", "-y"))
    assert list(listed(data, monkeypatch)) == ["corral-mine"]

    Path(corral.env["CORRAL_CONFIG"]).write_text('kernels = "always"\n')
    bad = corral("env", "list")
    assert bad.code == 1 and "kernels" in bad.err and "'auto'" in bad.err and "Traceback" not in bad.err
