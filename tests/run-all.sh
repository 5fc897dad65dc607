#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit and integration tests, API fuzzing
# with schemathesis (tests/fuzz/) and the browser tests in headless Chromium. Installs
# Chromium (Debian's package) and the e2e npm dependencies when they are missing;
# tests/fuzz/run.sh installs schemathesis into a venv under the cargo target dir.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "error: $1 is missing; install it (sudo apt-get install $1) and run again" >&2
    exit 1
  fi
}

if ! command -v chromium >/dev/null 2>&1; then
  need_root chromium
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# Chinese glyphs: the zh-CN pages are laid out (and measured) with a real CJK font.
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  need_root fonts-noto-cjk
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
# OpenSSL headers: the Web Push test decrypts with the `ece` crate (a dev-dependency
# only; the binary itself needs no OpenSSL).
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s libssl-dev pkg-config >/dev/null 2>&1; then
  need_root "libssl-dev pkg-config"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
  need_root nodejs
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test (unit and integration)"
cargo test --locked
echo "== API fuzzing (schemathesis against a real server, as member and admin)"
bash tests/fuzz/run.sh
echo "== browser tests (headless Chromium)"
cargo build --locked --bin baton
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error && node --test)
