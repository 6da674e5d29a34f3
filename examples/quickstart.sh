#!/usr/bin/env bash
# corral end to end on this machine, without conda-forge:
#   1. a PyPI environment on a Python found here (numpy + pandas), a script run in it, a change, a rollback;
#   2. a mixed environment: conda packages from a local channel (made from this machine's CPython) + PyPI,
#      exported to environment.yml and recreated from it; then locked (corral.lock) and installed
#      exactly from the lock (every hash checked, no solve).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
export CORRAL_ROOT=${CORRAL_ROOT:-$work/store}
python_version=${QUICKSTART_PYTHON:-3.12}
# The same interpreter pip installed corral into (a fresh console script may not be on PATH yet,
# e.g. under pyenv before a rehash); `corral ...` works the same once it is.
corral() { python -m corral "$@"; }

set -x
corral python list
corral create -n demo --python "$python_version" --pip numpy pandas -y
cat > "$work/script.py" <<'PY'
import sys

import numpy as np
import pandas as pd

frame = pd.DataFrame({"x": np.arange(5), "y": np.arange(5) ** 2})
print(frame.describe().loc[["mean", "max"]])
print("ran on", sys.executable, "python", sys.version.split()[0])
PY
"$CORRAL_ROOT/envs/demo/bin/python" "$work/script.py"
corral pip install -n demo "six>=1.16" -y
corral list -n demo
corral history -n demo
corral rollback -n demo -y

python examples/make_channel.py "$work/channel"
corral create -n mixed -c "$work/channel" python platformdirs --pip platformdirs six -y
corral list -n mixed
"$CORRAL_ROOT/envs/mixed/bin/python" -c 'import platformdirs, six, sys; print("mixed env works:", sys.version.split()[0])'
corral export -n mixed -o "$work/environment.yml"
cat "$work/environment.yml"
corral create -n copy -f "$work/environment.yml" -y
corral list -n copy
corral lock -f "$work/environment.yml"   # add --platform osx-arm64 ... for channels that have them
corral lock -f "$work/environment.yml" --check
corral create -n frozen --lock "$work/corral.lock" -y
corral list -n frozen
set +x
echo "store: $CORRAL_ROOT  (export CORRAL_ROOT=$CORRAL_ROOT to keep exploring)"
