#!/usr/bin/env bash
# collectctl demo: load the example books into a throw-away COLLECTCTL_HOME and show the aging.
#
#   bash examples/demo.sh .venv/bin        (what `make demo` runs; works from any directory)
#
# $1 is the bin directory of the virtualenv collectctl is installed in. Nothing outside a temp
# dir is touched: COLLECTCTL_HOME is a fresh `mktemp -d`, removed again on exit.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 VENV_BIN_DIR   (e.g. $0 .venv/bin)" >&2
    exit 2
fi
bin_dir=$(cd "$1" && pwd)
collectctl="$bin_dir/collectctl"
if [[ ! -x "$collectctl" ]]; then
    echo "demo: $collectctl not found; run \`make install\` first" >&2
    exit 1
fi
examples_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

COLLECTCTL_HOME=$(mktemp -d "${TMPDIR:-/tmp}/collectctl-demo.XXXXXX")
export COLLECTCTL_HOME
trap 'rm -rf "$COLLECTCTL_HOME"' EXIT
# The demo must not pick up a user's profile, format or timezone preferences.
unset COLLECTCTL_PROFILE COLLECTCTL_FORMAT

run() {
    printf '\n$ collectctl %s\n' "$*"
    "$collectctl" "$@"
}

echo "Studio Lumen's books (examples/README.md tells the story); COLLECTCTL_HOME=$COLLECTCTL_HOME"
run sync csv "$examples_dir"
run aging --as-of 2026-11-30
run aging --as-of 2026-11-30 --by invoice --min-balance 1000
run aging --as-of 2026-06-30
# What the morning dunning job would send on 30 November (a dry run: nothing is written).
run dunning run --policy "$examples_dir/dunning.toml" --as-of 2026-11-30 --dry-run
