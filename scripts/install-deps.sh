#!/bin/sh
# Install the Debian packages feedpubd needs to build, run and test.
# Only what is missing is installed; safe to run again. Needs root (or sudo).
set -eu

PKGS="build-essential cmake pkg-config
libev-dev libxml2-dev libxslt1-dev libcurl4-openssl-dev libyaml-dev libmd4c-dev
libmd4c-html0-dev libinih-dev libsqlite3-dev libmicrohttpd-dev libsystemd-dev
libjansson-dev libssl-dev zlib1g-dev libcmocka-dev libgit2-dev
libxml2-utils python3 python3-feedparser python3-jsonschema newsboat sfeed curl tzdata rsync
systemd groff-base git tidy"
# `install-deps.sh fuzz`: what `make fuzz` and `make format` add.
[ "${1:-}" = fuzz ] && PKGS="clang clang-format"
# `install-deps.sh bench`: what bench/serve adds (wrk, and nginx to compare).
[ "${1:-}" = bench ] && PKGS="wrk nginx-light"
# `install-deps.sh browser`: headless Chromium (~300 MB) for the page
# rendering test in test_pages.py, which skips with a message without it.
[ "${1:-}" = browser ] && PKGS="chromium"

# The hub's third-party subscriber (tests/integration/test_hub.py): the npm
# package pubsubhubbub under ~/.cache/feedpubd-tests/npm, best effort (the
# test skips without it). node and npm may come from elsewhere than Debian.
npm_subscriber() {
	[ -n "${1:-}" ] && return 0
	dir="${FEEDPUBD_NPM_DIR:-$HOME/.cache/feedpubd-tests/npm}"
	[ -d "$dir/node_modules/pubsubhubbub" ] && return 0
	command -v npm >/dev/null 2>&1 || return 0
	mkdir -p "$dir" && npm install --prefix "$dir" --no-audit --no-fund \
	    --no-save pubsubhubbub@1.0.2 >/dev/null 2>&1 ||
		echo "install-deps: npm pubsubhubbub not installed" >&2
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
