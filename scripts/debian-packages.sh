#!/usr/bin/env bash
# Install the Debian packages behind the given commands when a command is missing: directly as root, through sudo
# otherwise; when neither can, say which packages to install and fail. Python parts come from PyPI (the lock files);
# this is only for what Debian alone has (Chromium, poppler-utils, docker-compose).
#
#   scripts/debian-packages.sh WHO COMMAND=PACKAGE ...     e.g. "make test" pdftoppm=poppler-utils
#
# COMMAND is a name looked up on PATH, or an absolute path that must be executable.
set -euo pipefail
who=$1
shift
missing=()
for pair in "$@"; do
  cmd=${pair%%=*}
  pkg=${pair#*=}
  if [[ $cmd == /* ]]; then [[ -x $cmd ]] && continue; else command -v "$cmd" >/dev/null 2>&1 && continue; fi
  [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

give_up() {
  echo "$who needs the Debian packages ${missing[*]}, and $1: as root, run \`apt-get update && apt-get install -y ${missing[*]}\`, then $who again." >&2
  exit 1
}
if [[ $(id -u) == 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  give_up "this user is not root and has no sudo"
fi
echo "$who: installing the Debian packages ${missing[*]} (apt-get${as_root:+ through sudo})" >&2
# A fresh machine's package lists are empty or stale: update them first.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
  give_up "apt-get update failed"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
  give_up "apt-get install failed"
