#!/bin/sh
# Install the Debian packages feedpubd needs to build, run and test.
# Only what is missing is installed; safe to run again. Needs root (or sudo).
set -eu

PKGS="build-essential cmake pkg-config
libev-dev libxml2-dev libxslt1-dev libcurl4-openssl-dev libyaml-dev libmd4c-dev
libmd4c-html0-dev libinih-dev libsqlite3-dev libmicrohttpd-dev libsystemd-dev
libjansson-dev libssl-dev zlib1g-dev libcmocka-dev
libxml2-utils python3 python3-feedparser newsboat sfeed curl tzdata rsync
systemd groff-base git tidy"
# `install-deps.sh fuzz`: what `make fuzz` and `make format` add.
[ "${1:-}" = fuzz ] && PKGS="clang clang-format"
# `install-deps.sh bench`: what bench/serve adds (wrk, and nginx to compare).
[ "${1:-}" = bench ] && PKGS="wrk nginx-light"
# `install-deps.sh browser`: headless Chromium (~300 MB) for the page
# rendering test in test_pages.py, which skips with a message without it.
[ "${1:-}" = browser ] && PKGS="chromium"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "install-deps: installing:$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
