#!/bin/sh
# The feeds and config libraries sit below the shell: none of their objects
# may need a symbol of libev, libcurl, SQLite or libsystemd. Prints the
# offenders, exits 1.
set -eu
lib=$1
[ -f "$lib" ] || { echo "check-layers: no library $lib" >&2; exit 2; }
objs=$(nm -A -u "$lib" 2>/dev/null | grep -c . || true)
[ "$objs" -gt 0 ] || { echo "check-layers: nm found no symbols in $lib" >&2; exit 2; }
bad=$(nm -A -u "$lib" | grep -E ' U (curl_|ev_|sqlite3_|sd_)' || true)
if [ -n "$bad" ]; then
	echo "check-layers: $(basename "$lib") calls into the shell:" >&2
	echo "$bad" >&2
	exit 1
fi
echo "check-layers: $objs undefined symbols in $(basename "$lib"), none of curl_, ev_, sqlite3_, sd_"
