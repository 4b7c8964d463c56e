#!/usr/bin/env bash
# Rebuilds the sample tables in data/ from the source CSVs beside them, through fundq's own
# import path. Usage: scripts/build-sample.sh [path/to/fundq]   (default: cargo run --release)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then fundq=("$1"); else fundq=(cargo run --quiet --release --); fi
for table in ledger ledger_period headcount benefit_standard fund item region; do
    rm -rf "data/$table"
done
"${fundq[@]}" import data/funds.csv --table fund
"${fundq[@]}" import data/items.csv --table item
"${fundq[@]}" import data/regions.csv --table region
"${fundq[@]}" import data/ledger.csv --table ledger
"${fundq[@]}" import data/ledger_period.csv --table ledger_period
"${fundq[@]}" import data/headcount.csv --table headcount
"${fundq[@]}" import data/benefit_standards.csv --table benefit_standard
