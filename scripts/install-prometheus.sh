#!/usr/bin/env bash
# Installs promtool (Debian package `prometheus`) if it is missing: the rule checks in
# test/deploy/prometheus-rules.int.test.ts need it (promtool check rules / test rules /
# check config / check metrics). Idempotent: does nothing when promtool is on PATH.
# Called by scripts/test.sh (npm test) and .ci/run; run it by hand on a new machine too.
#
# Only promtool is wanted: on a host with systemd the package's own Prometheus service
# is kept from starting (policy-rc.d) so it never takes port 9090.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "install-prometheus: promtool is missing and installing it needs root: apt-get install prometheus" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-prometheus: promtool is missing and this is not a Debian/Ubuntu host; install Prometheus's promtool" >&2
  exit 1
fi

echo "install-prometheus: apt-get install prometheus (for promtool)"
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  # exit 101 = "action not allowed": dpkg then does not start the service it installs
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
cleanup() { if ((created_policy)); then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends prometheus >/dev/null; then
  $SUDO apt-get update >/dev/null
  $SUDO apt-get install -y --no-install-recommends prometheus >/dev/null
fi
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
command -v promtool >/dev/null
echo "install-prometheus: $(promtool --version 2>&1 | head -n 1)"
