#!/usr/bin/env bash
# Installs Chromium for the browser tests (tests/support/browser.ts drives it with playwright-core).
# Idempotent: does nothing when the executable is already there. Debian/Ubuntu only (apt-get); run as root.
#   CHROMIUM_PATH   executable to check for (default /usr/bin/chromium)
set -euo pipefail

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM_PATH" ]; then
  echo "[install-chromium] present: $CHROMIUM_PATH ($("$CHROMIUM_PATH" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

fail() { echo "[install-chromium] ERROR: $*" >&2; exit 1; }

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install Chromium by hand and set CHROMIUM_PATH"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else fail "must run as root (or with sudo available)"; fi
else
  SUDO=""
fi

echo "[install-chromium] $CHROMIUM_PATH missing: running apt-get update"
$SUDO apt-get update || fail "apt-get update failed"
echo "[install-chromium] running apt-get install -y --no-install-recommends chromium"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium \
  || fail "apt-get install chromium failed"

[ -x "$CHROMIUM_PATH" ] || fail "chromium installed but $CHROMIUM_PATH is not executable (dpkg -L chromium | grep bin/ to find it, then set CHROMIUM_PATH)"
echo "[install-chromium] installed: $CHROMIUM_PATH ($("$CHROMIUM_PATH" --version 2>/dev/null || echo 'version unknown'))"
