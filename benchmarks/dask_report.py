"""The figures of bench_dask.py from its pytest-benchmark JSON: per file, Dask's time against one process's, and
cohort transcoding on 2 workers against 1 (medians of the interleaved rounds; ratios are medians of each
round's ratio).

    python -m pytest benchmarks/bench_dask.py --benchmark-json=dask.json
    python benchmarks/dask_report.py dask.json
"""

from __future__ import annotations

import json
import sys


def table(path: str) -> str:
    with open(path) as f:
        data = json.load(f)
    lines = ["| what | implementation | median | decoded MB/s | ratio |", "|---|---|---|---|---|"]
    for b in data["benchmarks"]:
        info = b.get("extra_info", {})
        medians = info.get("interleaved", {})
        nbytes = info.get("bytes", 0)
        ratio = info.get("overhead", info.get("speed-up"))
        for i, (impl, median) in enumerate(medians.items()):
            mbs = f"{nbytes / median / 1e6:,.0f}" if nbytes and "transcode" not in b["group"] else ""
            text = ""
            if i == 0 and ratio is not None:
                text = f"{ratio:.2f}x " + ("(Dask's time / one process's)" if "overhead" in info else "(1 worker's time / 2 workers')")
            lines.append(f"| {b['group']} | {impl} | {median:.3f} s | {mbs} | {text} |")
        lines.append(f"| | rounds: {info.get('interleaved_rounds', '-')} | | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1]))
