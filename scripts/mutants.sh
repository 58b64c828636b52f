#!/usr/bin/env bash
# The mutation check: plants each bug of tests/mutants/ (one patch a bug) in a scratch copy of the
# tree, builds only its layer's test targets, runs that layer's tests, and records whether they
# killed it (some test failed) or it survived. A crdt/ mutant must be killed by the crdt tests
# alone, a store/ one by the store tests, a sim/ one by the sim tests. Prints a table; exits 1 if
# any mutant survived or did not build. Not part of CI: each mutant rebuilds part of a layer
# (docs/testing.md says how to add one).
#   ./scripts/mutants.sh                       # every mutant
#   ./scripts/mutants.sh store-no-resend ...   # the named ones
#   ./scripts/mutants.sh --list                # the mutants and what each models
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$root/build/mutants
tree=$work/tree
build=$work/build
test_timeout=300

mutants=()
list=0
for arg in "$@"; do
    case "$arg" in
        --list) list=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) [ -f "tests/mutants/$arg.patch" ] || { echo "mutants: no tests/mutants/$arg.patch"; exit 2; }
           mutants+=("tests/mutants/$arg.patch") ;;
    esac
done
[ ${#mutants[@]} -gt 0 ] || mutants=(tests/mutants/*.patch)

field() { sed -n "s/^# $2: //p" "$1" | head -n 1; }
if [ "$list" = 1 ]; then
    for m in "${mutants[@]}"; do
        printf '%-45s %-6s %s\n' "$(field "$m" mutant)" "$(field "$m" layer)" \
            "$(sed -n '3,$p' "$m" | sed -n '/^# /s/^# //p' | tr '\n' ' ')"
    done
    exit 0
fi

./scripts/install-deps.sh >/dev/null

# The layer's test targets, and the ctest label that runs its tests.
targets_of() {
    case "$1" in
        crdt) echo converge_crdt_tests ;;
        store) echo converge_store_tests converge_store_property_tests converge_crash_tests converge_crash_writer ;;
        sim) echo converge_sim_tests converge_sim_property_tests converge-sim ;;
        *) echo "mutants: unknown layer $1" >&2; exit 2 ;;
    esac
}

# A fresh scratch copy of the working tree (tracked and untracked files git does not ignore).
echo "mutants: copying the tree to $tree"
rm -rf "$tree"
mkdir -p "$tree"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xmf - -C "$tree"  # -m: new mtimes, so the build sees every file as changed
cmake -S "$tree" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONVERGE_WERROR=OFF \
    -DCONVERGE_BUILD_BENCH=OFF -DCONVERGE_BUILD_EXAMPLES=OFF -DCONVERGE_INSTALL=OFF >/dev/null

# Builds and tests one layer; prints the first failing test (empty: all passed). Returns 2 if the
# build failed.
run_layer() {
    local layer=$1 log=$2
    # shellcheck disable=SC2046
    if ! cmake --build "$build" --target $(targets_of "$layer") >"$log" 2>&1; then return 2; fi
    ctest --test-dir "$build" -L "^$layer\$" -j "$(nproc)" --stop-on-failure \
        --timeout "$test_timeout" >>"$log" 2>&1 || true
    sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (\(Failed\|Timeout\|SEGFAULT\|Subprocess aborted\|Exception\|Child aborted\|.*\))$/\1/p' \
        "$log" | head -n 1
}

# The unmutated tree must pass, or every mutant would look killed.
for layer in $(for m in "${mutants[@]}"; do field "$m" layer; done | sort -u); do
    echo "mutants: building and testing the unmutated $layer layer"
    failed=$(run_layer "$layer" "$work/baseline-$layer.log") || {
        echo "mutants: the unmutated $layer layer does not build: $work/baseline-$layer.log"; exit 1; }
    if [ -n "$failed" ]; then
        echo "mutants: the unmutated $layer tests fail ($failed): fix that first ($work/baseline-$layer.log)"
        exit 1
    fi
done

results=()
status=0
for m in "${mutants[@]}"; do
    name=$(field "$m" mutant)
    layer=$(field "$m" layer)
    log=$work/$name.log
    start=$(date +%s)
    # patch, not git apply: the scratch tree lies inside this repository, where git apply would
    # skip every path outside the current folder without a word.
    if ! patch -p1 --forward --silent -d "$tree" -i "$root/$m" >"$log" 2>&1; then
        results+=("$name|$layer|DOES NOT APPLY|-|0")
        status=1
        continue
    fi
    echo "mutants: $name ($layer)"
    outcome=killed
    killer=$(run_layer "$layer" "$log.run") || outcome="DOES NOT BUILD"
    cat "$log.run" >>"$log" && rm -f "$log.run"
    if [ "$outcome" = killed ] && [ -z "$killer" ]; then outcome=SURVIVED; fi
    [ "$outcome" = killed ] || status=1
    patch -p1 -R --silent -d "$tree" -i "$root/$m" >>"$log" 2>&1
    results+=("$name|$layer|$outcome|${killer:--}|$(( $(date +%s) - start ))")
done

echo
printf '%-42s %-6s %-15s %-8s %s\n' mutant layer result seconds "killed by"
for r in "${results[@]}"; do
    IFS='|' read -r name layer outcome killer seconds <<<"$r"
    printf '%-42s %-6s %-15s %-8s %s\n' "$name" "$layer" "$outcome" "$seconds" "$killer"
done
killed=$(printf '%s\n' "${results[@]}" | grep -c '|killed|' || true)
echo
echo "mutants: $killed of ${#results[@]} killed by their own layer's tests (logs in $work)"
exit "$status"
