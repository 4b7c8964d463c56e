#!/usr/bin/env bash
# Time from a fresh clone to the first row of the README's first command, as a new user on this
# machine would see it: a clone of this repository's HEAD, an empty target folder, then the
# command. Crate sources already in ~/.cargo/registry are reused (a fresh machine also downloads
# them first, which this does not time).
#
#   bench/first_result.sh                        # the README's first command (its first line)
#   bench/first_result.sh cargo build --profile dist
#
# Prints the wall time and the size of the target folder, and keeps cargo's --timings report
# (bench/out/first-result-timings.html). Uses every core: run it on an otherwise idle machine.
# FIRST_RESULT_TARGET=DIR builds into DIR (which must not exist) and keeps it afterwards, for
# example to time runs of the binary it built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if (( $# )); then
    command=("$@")
else
    # The README's first command: the first line of its first sh block, without the comment.
    line=$(awk '/^```sh/{getline; print; exit}' "$ROOT/README.md" | sed 's/#.*//')
    read -r -a command <<<"$line"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$ROOT" "$work/fundq"
cd "$work/fundq"
target="${FIRST_RESULT_TARGET:-$work/target}"
[[ ! -e "$target" ]] || { echo "first_result.sh: $target exists; a fresh build needs a new folder" >&2; exit 2; }
export CARGO_TARGET_DIR="$target" CARGO_TERM_COLOR=never
# cargo run --timings: the same build, with a report of where its time went.
[[ "${command[0]}" == cargo ]] && command=("${command[0]}" "${command[1]}" --timings "${command[@]:2}")
echo "command: ${command[*]}"
# Wall time, and the CPU time of the command and everything it ran (user + system): the CPU
# time hardly depends on what else the machine is doing, the wall time does.
TIMEFORMAT='%R %U %S'
status=0
{ time "${command[@]}" >"$work/out.txt" 2>"$work/err.txt"; } 2>"$work/time.txt" || status=$?
(( status == 0 )) || { cat "$work/err.txt" >&2; exit 1; }
head -c 300 "$work/out.txt"; echo
read -r wall user system <"$work/time.txt"
awk -v w="$wall" -v u="$user" -v s="$system" \
    'BEGIN { printf "fresh clone -> first result: %.1f min wall, %.1f min CPU (user + system)\n", w / 60, (u + s) / 60 }'
echo "target folder: $(du -sh "$CARGO_TARGET_DIR" 2>/dev/null | cut -f1)"
grep -E "Finished" "$work/err.txt" || true
# Where the build time went: cargo's --timings report (added to the command), copied here.
report=$(ls "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing-*.html 2>/dev/null | head -1 || true)
if [[ -n "$report" ]]; then
    mkdir -p "$ROOT/bench/out"
    cp "$report" "$ROOT/bench/out/first-result-timings.html"
    echo "timings: bench/out/first-result-timings.html"
fi
