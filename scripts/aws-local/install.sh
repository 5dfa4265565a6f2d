#!/usr/bin/env bash
# Installs moto server (pinned, see requirements.txt) into a virtualenv of the project's own,
# target/aws-local/venv, unless it is there already. The tests that need moto run this themselves
# on first use; .ci/run runs it up front so its time shows on its own line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${AWS_LOCAL_VENV:-$root/target/aws-local/venv}
stamp="$venv/.installed-$(sha256sum "$here/requirements.txt" | cut -c1-16)"
mkdir -p "$(dirname "$venv")"
exec 9>"$(dirname "$venv")/install.lock"
flock 9
if [ -f "$stamp" ]; then
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --requirement "$here/requirements.txt"
touch "$stamp"
echo "moto server installed in $venv"
