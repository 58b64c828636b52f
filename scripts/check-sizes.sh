#!/usr/bin/env bash
# Keeps the code in rooms a reader can take in: no source file under crdt/, store/, sim/ or tools/
# above 500 lines, and no function there above 70 lines (clang-tidy's readability-function-size,
# over the release build's compile_commands.json). Prints each offender; exits 1 if any.
#   ./scripts/check-sizes.sh            # builds nothing: configure the release preset first
set -euo pipefail
cd "$(dirname "$0")/.."
lines_max=500
function_lines_max=70
db=build/release/compile_commands.json
[ -f "$db" ] || cmake --preset release >/dev/null

status=0
while read -r lines file; do
    [ "$file" = total ] && continue
    if [ "$lines" -gt "$lines_max" ]; then
        echo "check-sizes: $file has $lines lines (at most $lines_max): split it along its concepts"
        status=1
    fi
done < <(find crdt store sim tools -name '*.hpp' -o -name '*.cpp' | sort | xargs wc -l)

# The library's and the tools' own sources (tests/crdt/... and the like are not: their folders
# only share the names).
sources=$(python3 -c "
import json, re
entries = json.load(open('$db'))
print('\n'.join(sorted({e['file'] for e in entries
                        if re.match(r'$(pwd)/(crdt|store|sim|tools)/', e['file'])})))")
long=$(printf '%s\n' $sources | xargs -P "$(nproc)" -n 4 clang-tidy-14 -p build/release --quiet \
    -checks='-*,readability-function-size' \
    -config="{CheckOptions: [{key: readability-function-size.LineThreshold, value: $function_lines_max}]}" \
    -header-filter="$(pwd)/(crdt|store|sim|tools)/" 2>/dev/null | grep 'warning:' | sort -u || true)
if [ -n "$long" ]; then
    echo "check-sizes: functions above $function_lines_max lines (split them where a comment would separate their parts):"
    echo "$long"
    status=1
fi
[ "$status" -eq 0 ] && echo "check-sizes: every file within $lines_max lines, every function within $function_lines_max"
exit "$status"
