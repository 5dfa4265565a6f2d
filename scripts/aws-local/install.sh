#!/usr/bin/env bash
# Installs an AWS emulator, pinned, into a virtualenv of the project's own, unless it is there
# already: `install.sh` (or `install.sh moto`) installs moto server, cfn-lint, the SAM translator
# and cargo-lambda (requirements.txt) into target/aws-local/venv; `install.sh ministack` installs
# ministack (ministack-requirements.txt) into target/aws-local/ministack-venv; `install.sh
# schemathesis` installs the OpenAPI fuzzer the HTTP contract test runs (not an emulator, but
# installed the same way) into target/aws-local/schemathesis-venv. The tests that need
# an emulator run this themselves on first use; .ci/run runs it up front so its time shows on its
# own line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case "${1:-moto}" in
  moto) requirements="$here/requirements.txt"; venv=${AWS_LOCAL_VENV:-$root/target/aws-local/venv} ;;
  ministack) requirements="$here/ministack-requirements.txt"; venv=${MINISTACK_VENV:-$root/target/aws-local/ministack-venv} ;;
  schemathesis) requirements="$here/schemathesis-requirements.txt"; venv=${SCHEMATHESIS_VENV:-$root/target/aws-local/schemathesis-venv} ;;
  *) echo "usage: $0 [moto|ministack|schemathesis]" >&2; exit 2 ;;
esac
stamp="$venv/.installed-$(sha256sum "$requirements" | cut -c1-16)"
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ -f "$stamp" ]; then
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --requirement "$requirements"
touch "$stamp"
echo "${1:-moto} installed in $venv"
