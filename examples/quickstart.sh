#!/usr/bin/env bash
# corral end to end without conda-forge: a local channel of real packages, then create, change, roll back.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
export CORRAL_ROOT=${CORRAL_ROOT:-$work/store}
python examples/make_channel.py "$work/channel"
# The same interpreter pip installed corral into (a fresh console script may not be on PATH yet,
# e.g. under pyenv before a rehash); `corral ...` works the same once it is.
corral() { python -m corral "$@"; }

set -x
corral create -n demo -c "$work/channel" python platformdirs -y
"$CORRAL_ROOT/envs/demo/bin/python" -c 'import platformdirs, sys; print("it works:", sys.version.split()[0], platformdirs.__name__)'
corral install -n demo filelock -y
corral list -n demo
corral history -n demo
corral rollback -n demo -y
corral list -n demo
set +x
echo "store: $CORRAL_ROOT  (export CORRAL_ROOT=$CORRAL_ROOT to keep exploring)"
