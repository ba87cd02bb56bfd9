#!/usr/bin/env bash
# Debian packages the tests need beyond Node and Java, installed only when missing
# (idempotent; called by scripts/test.sh and .ci/run, so a clean machine gets them):
#   openssl   test/replay makes a self-signed certificate for its HTTPS staging server
set -euo pipefail

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
((${#missing[@]} == 0)) && exit 0

echo "install-test-tools: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-test-tools: need root or sudo for apt-get (${missing[*]})" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
