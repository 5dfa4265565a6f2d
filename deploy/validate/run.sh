#!/usr/bin/env bash
# Validates the generated deployment files with pinned tools: the state machine with asl-validator
# (npm, package-lock.json), the template with cfn-lint (PyPI, pinned in
# scripts/aws-local/requirements.txt and installed with moto).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
"$root/scripts/aws-local/install.sh"
(cd "$here" && npm ci --no-audit --no-fund --silent && npx --no-install asl-validator --json-path ../checkout.asl.json)
"${AWS_LOCAL_VENV:-$root/target/aws-local/venv}/bin/cfn-lint" "$root/deploy/template.yaml"
echo "cfn-lint: deploy/template.yaml is valid"
