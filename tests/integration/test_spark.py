"""A packed environment on a real Spark cluster, used as Spark's docs use conda-pack archives.

`spark-submit --archives env.tar.gz#environment` with `PYSPARK_PYTHON=./environment/bin/python`:
each executor (a separate JVM under `local-cluster`, with its own Python workers) unpacks the
archive into its working folder and runs that interpreter, without corral-unpack. A UDF imports a
package only the packed environment has and reports `sys.executable`. Everything listens on
127.0.0.1 (SPARK_LOCAL_IP, driver host and bind address; no UI), and the whole process group is
killed when the test ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.cpython import CPythonUnavailable, find_pyenv_python

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
TIMEOUT = 300

APP = """
import json, os, sys
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("corral-pack").getOrCreate()


def probe(_):
    import os, sys, tinylib  # tinylib: only in the packed environment
    return [sys.executable, tinylib.VERSION, os.getpid(), "%d.%d" % sys.version_info[:2]]


rows = spark.sparkContext.parallelize(range(8), 4).map(probe).collect()
with open(sys.argv[1], "w") as out:
    json.dump({"driver": os.getpid(), "rows": rows}, out)
spark.stop()
"""


def _spark_submit() -> Path:
    try:
        import pyspark
    except ImportError:
        pytest.skip("pyspark is not installed (it is in the test extra)")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (.ci/run installs openjdk-17-jre-headless)")
    return Path(pyspark.__file__).parent / "bin" / "spark-submit"


def _private_spark_home(installed: Path, home: Path) -> Path:
    """pyspark's files linked into a folder of the test's: local-cluster workers write SPARK_HOME/work."""
    home.mkdir()
    for entry in installed.iterdir():
        (home / entry.name).symlink_to(entry)
    return home


def test_spark_executors_run_the_packed_environment(
    corral: Corral, channel: Path, wheels: Path, tmp_path: Path
) -> None:
    submit = _spark_submit()
    try:
        home = find_pyenv_python()  # the interpreter the channel's conda python was made from
    except CPythonUnavailable as exc:
        pytest.skip(str(exc))
    minor = home.name.rsplit(".", 1)[0]
    made = corral("create", "-n", "spark", "-c", str(channel), "python", "--pip", "tinylib==1.0", "--no-index",
                  "--find-links", str(wheels), "-y")  # fmt: skip
    assert made.code == 0, made.err
    packed = corral("pack", "-n", "spark", "-o", str(tmp_path / "env.tar.gz"))
    assert packed.code == 0, packed.err
    assert f"Python {minor}." in packed.out
    shutil.rmtree(corral.root)  # executors can only have the archive
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CONDA_", "CORRAL_", "VIRTUAL_ENV"))}
    env.update(
        SPARK_LOCAL_IP="127.0.0.1",
        PYSPARK_PYTHON="./environment/bin/python",
        PYSPARK_DRIVER_PYTHON=str(home / "bin" / f"python{minor}"),
        SPARK_HOME=str(_private_spark_home(submit.parent.parent, tmp_path / "spark")),
    )
    argv = [
        str(submit),
        "--master", "local-cluster[2,1,1024]",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
        "--archives", f"{tmp_path / 'env.tar.gz'}#environment",
        str(tmp_path / "app.py"),
        str(tmp_path / "out.json"),
    ]  # fmt: skip
    proc = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        log, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        log = ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with contextlib.suppress(ProcessLookupError):  # executors and workers that outlived the driver, if any
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, log[-4000:]
    seen = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    rows = seen["rows"]
    assert len(rows) == 8
    for executable, version, pid, python in rows:
        assert executable.endswith("/environment/bin/python"), executable
        assert Path(executable).is_relative_to(tmp_path / "spark" / "work")  # unpacked in an executor's folder
        assert version == "1.0" and python == minor and pid != seen["driver"]
    assert len({pid for *_, pid, _ in rows}) >= 2  # Python workers of two executors
