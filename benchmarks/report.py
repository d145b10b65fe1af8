"""Turns a pytest-benchmark JSON file into ratio tables: framecodec against each peer, per group.

Benchmarks name their group with ``benchmark.group`` and their implementation with
``benchmark.extra_info["impl"]``; the ratio is the peer's median time over framecodec's median
time, so above 1.0 means framecodec is faster. Usage:

    python -m pytest benchmarks --benchmark-json=bench.json
    python benchmarks/report.py bench.json
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def table(path: str) -> str:
    with open(path) as f:
        data = json.load(f)
    groups: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    for b in data["benchmarks"]:
        impl = b.get("extra_info", {}).get("impl", b["name"])
        mb = b.get("extra_info", {}).get("bytes", 0)
        groups[b["group"] or b["name"]][impl] = (b["stats"]["median"], mb)
    lines = ["| group | implementation | median | throughput | framecodec speed-up |", "|---|---|---|---|---|"]
    for group in sorted(groups):
        impls = groups[group]
        ours = impls.get("framecodec", (None, 0))[0]
        for impl, (median, nbytes) in sorted(impls.items(), key=lambda kv: kv[1][0]):
            speed = f"{nbytes / median / 1e6:,.0f} MB/s" if nbytes else ""
            ratio = "" if impl == "framecodec" or ours is None else f"{median / ours:.2f}x"
            lines.append(f"| {group} | {impl} | {median * 1e6:,.1f} µs | {speed} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1]))
