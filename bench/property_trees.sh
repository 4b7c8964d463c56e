#!/usr/bin/env bash
# The property test of issue 26 (tests/it/property.rs) on many more random trees than CI's 300:
# every roll-up view against the leaf view over ledgers the Python oracle summed first, and the
# period identities, for several seeds. Prints each seed's time and result; stops at the first
# disagreement (the test prints the smallest tree that shows it).
#
#   bench/property_trees.sh [TREES_PER_SEED] [SEEDS]     # default 2000 trees × 3 seeds
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
trees="${1:-2000}"
seeds="${2:-3}"
cargo test --test it --no-run >/dev/null 2>&1 || cargo test --test it --no-run
for seed in $(seq 1 "$seeds"); do
    start=$(date +%s)
    FUNDQ_PROPERTY_TREES="$trees" FUNDQ_PROPERTY_SEED="$seed" \
        cargo test -q --test it property:: -- --exact \
        property::roll_ups_equal_the_leaf_views_over_ledgers_the_oracle_summed_first 2>&1 | tail -30
    echo "seed $seed: $trees trees in $(( $(date +%s) - start )) s"
done
