#!/usr/bin/env bash
# The README's offline_notes session, checked: both devices edit apart, sync, and list the same.
set -euo pipefail
app=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$app" "$dir" laptop add "buy milk"
"$app" "$dir" laptop add "book train"
"$app" "$dir" phone add "call mum"
"$app" "$dir" laptop sync 1 >/dev/null || true   # the phone is away: nothing to sync with
"$app" "$dir" laptop done "book train"
"$app" "$dir" phone add "water plants"
"$app" "$dir" laptop sync 2 & "$app" "$dir" phone sync 2; wait
laptop=$("$app" "$dir" laptop list)
phone=$("$app" "$dir" phone list)
echo "$laptop"
[ "$laptop" = "$phone" ] && [ "$(wc -l <<< "$laptop")" -eq 4 ] || {
    echo "offline_notes: the devices differ:"; echo "$phone"; exit 1; }
echo "offline_notes: converged"
