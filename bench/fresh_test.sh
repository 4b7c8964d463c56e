#!/usr/bin/env bash
# A newcomer's README on a fresh machine, phase by phase: a clone of this repository's HEAD, an
# empty cargo registry (a new CARGO_HOME) and an empty target folder, then the README's two
# commands in order, as the README gives them:
#
#   1. cargo fetch                 the crate downloads (part of the first command on a fresh machine)
#   2. the first command           build without the server, then the sample's rows
#   3. cargo test --no-run         the test build (what the second command compiles and links)
#   4. cargo test                  the tests themselves (nothing left to build)
#
# Prints each phase's wall and CPU time, the two commands' totals, the per-binary test times, and
# keeps cargo's --timings reports of phases 2 and 3 in bench/out/. Uses every core: run it on an
# otherwise idle machine. The tests use the clients the environment provides (FUNDQ_PYTHON, …);
# without them the client tests skip, as on a newcomer's machine.
#
#   bench/fresh_test.sh
#   FRESH_TEST_TARGET=DIR FRESH_TEST_CARGO_HOME=DIR bench/fresh_test.sh   # keep both afterwards
#
# FRESH_TEST_TARGET must not exist; FRESH_TEST_CARGO_HOME must have no registry yet.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="${FRESH_TEST_TARGET:-$work/target}"
export CARGO_HOME="${FRESH_TEST_CARGO_HOME:-$work/cargo-home}"
export CARGO_TERM_COLOR=never
[[ ! -e "$CARGO_TARGET_DIR" ]] || { echo "fresh_test.sh: $CARGO_TARGET_DIR exists; a fresh build needs a new folder" >&2; exit 2; }
[[ ! -e "$CARGO_HOME/registry" ]] || { echo "fresh_test.sh: $CARGO_HOME/registry exists; a fresh machine has none" >&2; exit 2; }
mkdir -p "$CARGO_HOME" "$ROOT/bench/out"
git clone -q "$ROOT" "$work/fundq"
cd "$work/fundq"
echo "fresh clone of $(git rev-parse --short HEAD) on $(nproc) cores, $(date -u +%F)"

# The README's commands: the first two lines of its first sh block, without the comments.
readme_command() { awk '/^```sh/{for (i = 0; i < 2; i++) {getline; print}; exit}' README.md | sed -n "${1}p" | sed 's/#.*//'; }
read -r -a first <<<"$(readme_command 1)"
read -r -a second <<<"$(readme_command 2)"
[[ "${second[*]}" == "cargo test" ]] || { echo "fresh_test.sh: the README's second command is '${second[*]}', not 'cargo test'" >&2; exit 1; }

TIMEFORMAT='%R %U %S'
declare -A wall
# phase NAME COMMAND…: runs it, prints its wall and CPU minutes, stops on failure.
phase() {
    local name=$1; shift
    local status=0
    { time "$@" >"$work/$name.log" 2>&1; } 2>"$work/$name.time" || status=$?
    if (( status != 0 )); then tail -60 "$work/$name.log" >&2; echo "fresh_test.sh: $name failed" >&2; exit 1; fi
    local w u s; read -r w u s <"$work/$name.time"
    wall[$name]=$w
    awk -v n="$name" -v w="$w" -v u="$u" -v s="$s" -v c="$*" \
        'BEGIN { printf "%-12s %6.1f min wall  %6.1f min CPU   %s\n", n, w / 60, (u + s) / 60, c }'
}
keep_timings() {
    local report; report=$(ls -t "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing-*.html 2>/dev/null | head -1 || true)
    [[ -z "$report" ]] || cp "$report" "$ROOT/bench/out/fresh-$1-timings.html"
}

phase fetch cargo fetch
phase first "${first[0]}" "${first[1]}" --timings "${first[@]:2}"
keep_timings first
phase test-build cargo test --no-run --timings
keep_timings test-build
phase test-run cargo test

awk -v f="${wall[fetch]}" -v a="${wall[first]}" -v b="${wall[test-build]}" -v r="${wall[test-run]}" 'BEGIN {
    printf "first command on a fresh machine (fetch + build + rows): %.1f min\n", (f + a) / 60
    printf "second command after it (test build + tests):            %.1f min\n", (b + r) / 60
}'
# (|| true: head closing the pipe early is not a failure here.)
echo "first command's output begins:"
{ grep -v "^ *\(Compiling\|Downloaded\|Finished\|Running\|Timing\)" "$work/first.log" | head -n 3; } || true
echo "test binaries built: $(grep -c 'Executable' "$work/test-build.log" || true)"
echo "per test binary:"
grep -E '^\s+Running|^test result' "$work/test-run.log" || true
cp "$work/test-run.log" "$ROOT/bench/out/fresh-test-run.log"
echo "target folder: $(du -sh "$CARGO_TARGET_DIR" | cut -f1); timings: bench/out/fresh-{first,test-build}-timings.html"
