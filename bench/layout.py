"""Detail layout alternatives, measured with fundq on the same rows (issue 7).

Rewrites the `detail` table of a `fundq gen` data set in a few layouts with pyarrow (same rows,
same schema), then times fundq (a CLI process per run, median of RUNS) on a scan query, an
aggregation and the drill-down over each layout, in one run, and prints times relative to the
layout `fundq gen` writes. Results are compared across layouts (CSV text) before timing.

    python bench/layout.py DATA_DIR FUNDQ_BIN [RUNS]
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["01_budget_execution", "05_fund_balance", "07_drill_down"]


def layouts():
    """(name, writer options, sort keys) of each alternative; `gen` is fundq gen's own files."""
    return [
        ("gen: zstd, 1 M-row groups, generation order", None, None),
        ("snappy instead of zstd", dict(compression="snappy", row_group_size=1_000_000), None),
        ("128 K-row groups", dict(compression="zstd", row_group_size=131_072), None),
        (
            "sorted by region, fund, item",
            dict(compression="zstd", row_group_size=1_000_000),
            [("region_code", "ascending"), ("fund_code", "ascending"), ("item_code", "ascending")],
        ),
    ]


def write_layout(source, target, options, sort_keys):
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("detail"))
    (target / "detail").mkdir()
    for file in sorted((source / "detail").glob("*.parquet")):
        if options is None:
            shutil.copy(file, target / "detail" / file.name)
            continue
        table = pq.read_table(file)
        if sort_keys:
            table = table.take(pc.sort_indices(table, sort_keys=sort_keys))
        pq.write_table(
            table,
            target / "detail" / file.name,
            write_statistics=True,
            write_page_index=True,
            **options,
        )


def run_fundq(fundq, data, sql_text):
    started = time.perf_counter()
    out = subprocess.run(
        [fundq, "--data", str(data), "--sql", str(ROOT / "sql"), "sql", "--format", "csv", "--", sql_text],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, out.stdout


def main():
    source, fundq = Path(sys.argv[1]), sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    queries = {q: (ROOT / "bench" / "scale_queries" / f"{q}.sql").read_text() for q in QUERIES}
    work = Path(tempfile.mkdtemp(prefix="fundq-layout-", dir=os.environ.get("LAYOUT_TMP")))
    try:
        results = {}
        expected = {}
        for index, (name, options, sort_keys) in enumerate(layouts()):
            data = work / f"layout{index}"
            write_layout(source, data, options, sort_keys)
            size = sum(f.stat().st_size for f in (data / "detail").glob("*.parquet"))
            groups = sum(pq.ParquetFile(f).num_row_groups for f in (data / "detail").glob("*.parquet"))
            row = {"size": size, "groups": groups}
            for query, text in queries.items():
                _, output = run_fundq(fundq, data, text)  # warm-up, and the result to compare
                lines = sorted(output.splitlines())
                if expected.setdefault(query, lines) != lines:
                    sys.exit(f"{name}: {query} differs from the first layout's result")
                row[query] = statistics.median(run_fundq(fundq, data, text)[0] for _ in range(runs))
            results[name] = row
            shutil.rmtree(data)
        base = next(iter(results.values()))
        print(f"data: {source}; fundq median of {runs} runs per query, CLI process included")
        header = f"{'layout':45} {'MB':>6} {'groups':>6}" + "".join(f" {q[:14]:>16}" for q in QUERIES)
        print(header)
        for name, row in results.items():
            cells = "".join(
                f" {row[q] * 1000:8.0f} ms {row[q] / base[q]:4.2f}x" for q in QUERIES
            )
            print(f"{name:45} {row['size'] / 1e6:6.0f} {row['groups']:6}{cells}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
