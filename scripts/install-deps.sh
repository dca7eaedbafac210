#!/bin/sh
# Install the Debian packages feedpubd needs to build, run and test.
# Only what is missing is installed; safe to run again. Needs root (or sudo).
set -eu

PKGS="build-essential cmake pkg-config
libev-dev libxml2-dev libxslt1-dev libcurl4-openssl-dev libyaml-dev libmd4c-dev
libmd4c-html0-dev libinih-dev libsqlite3-dev libmicrohttpd-dev libsystemd-dev
libjansson-dev libssl-dev zlib1g-dev libcmocka-dev libgit2-dev libjemalloc-dev
libxml2-utils python3 python3-feedparser python3-jsonschema newsboat sfeed curl
tzdata rsync systemd groff-base git tidy linkchecker default-jre-headless"
# `install-deps.sh fuzz`: what `make fuzz` and `make format` add.
[ "${1:-}" = fuzz ] && PKGS="clang clang-format"
# `install-deps.sh bench`: what bench/serve adds (wrk, and nginx to compare).
[ "${1:-}" = bench ] && PKGS="wrk nginx-light"
# `install-deps.sh browser`: headless Chromium (~300 MB) for the page
# rendering test in test_pages.py, which skips with a message without it.
[ "${1:-}" = browser ] && PKGS="chromium"

# npm packages the tests use, best effort (those tests skip without them;
# node and npm may come from elsewhere than Debian): npm_best_effort DIR
# NAME@VERSION installs NAME under DIR/node_modules unless it is there.
npm_best_effort() {
	[ -d "$1/node_modules/${2%@*}" ] && return 0
	command -v npm >/dev/null 2>&1 || return 0
	mkdir -p "$1" && npm install --prefix "$1" --no-audit --no-fund \
	    --no-save "$2" >/dev/null 2>&1 ||
		echo "install-deps: npm ${2%@*} not installed" >&2
}

# The hub's third-party subscriber (tests/integration/test_hub.py): the npm
# package pubsubhubbub under ~/.cache/feedpubd-tests/npm; and the Nu HTML
# checker (tests/integration/test_pages.py, run with Debian's Java): the
# npm package vnu-jar, whose vnu.jar is in the package itself (no
# download at install), under ~/.cache/feedpubd-tests/vnu.
npm_subscriber() {
	[ -n "${1:-}" ] && return 0
	npm_best_effort "${FEEDPUBD_NPM_DIR:-$HOME/.cache/feedpubd-tests/npm}" \
	    pubsubhubbub@1.0.2
	npm_best_effort "${FEEDPUBD_VNU_DIR:-$HOME/.cache/feedpubd-tests/vnu}" \
	    vnu-jar@26.9.27
}

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "${1:-}" ] && ! command -v npm >/dev/null 2>&1 &&
	missing="$missing nodejs npm"
if [ -z "$missing" ]; then
	npm_subscriber "${1:-}"
	exit 0
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "install-deps: installing:$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
npm_subscriber "${1:-}"
