"""Issue 9's tables from a bench_deflate.py JSON file (and, optionally, bench_pipeline.py's -k deflate_backends):

- inflate: each kind's throughput with every implementation, and framecodec's per-round ratio over each peer;
- the goals (as pipeline_report.py prints them);
- encode: speed and size at every level of both backends, against zlib's level 6 (the default).

    python -m pytest benchmarks/bench_deflate.py --benchmark-json=deflate.json
    python benchmarks/deflate_report.py deflate.json [pipeline.json]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any

from pipeline_report import rows


def _load(path: str) -> list[dict[str, Any]]:
    with open(path) as f:
        benchmarks: list[dict[str, Any]] = json.load(f)["benchmarks"]
    return benchmarks


def inflate_table(benchmarks: list[dict[str, Any]], prefix: str) -> list[str]:
    """One row per group starting with ``prefix``: MB/s of each implementation (separate medians), then
    framecodec's interleaved per-round ratio over each peer."""
    groups: dict[str, dict[str, float]] = defaultdict(dict)
    ratios: dict[str, dict[str, float]] = {}
    for b in benchmarks:
        if not b["group"].startswith(prefix):
            continue
        info = b["extra_info"]
        groups[b["group"]][info["impl"]] = info["bytes"] / b["stats"]["median"] / 1e6
        if "speed-ups" in info:
            ratios[b["group"]] = info["speed-ups"]
    if not groups:
        return []
    impls = list(next(iter(groups.values())))
    lines = ["| data | " + " | ".join(f"{i} MB/s" for i in impls) + " | framecodec over each peer, same rounds |",
             "|---" * (len(impls) + 2) + "|"]  # fmt: skip
    for group, speeds in groups.items():
        per = ratios.get(group, {})
        ratio_text = ", ".join(f"{name} {r:.2f}x" for name, r in per.items())
        lines.append(f"| {group.removeprefix(prefix)} | " + " | ".join(f"{speeds.get(i, 0):,.0f}" for i in impls)
                     + f" | {ratio_text} |")  # fmt: skip
    return lines


def encode_table(benchmarks: list[dict[str, Any]]) -> list[str]:
    """Per kind, every backend and level: MB/s, encoded bytes, size and speed relative to zlib level 6."""
    kinds: dict[str, dict[tuple[str, int], tuple[float, int]]] = defaultdict(dict)
    for b in benchmarks:
        info = b["extra_info"]
        if not b["group"].startswith("deflate levels ") or "encoded_bytes" not in info:
            continue
        kind = b["group"].removeprefix("deflate levels ")
        kinds[kind][info["backend"], info["level"]] = (info["bytes"] / b["stats"]["median"] / 1e6, info["encoded_bytes"])
    lines = []
    for kind, cells in kinds.items():
        ref_speed, ref_size = cells.get(("zlib", 6), (0.0, 0))
        lines += [f"\n{kind}:", "", "| backend | level | MB/s | encoded bytes | size / zlib 6 | speed / zlib 6 |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for (backend, level), (speed, size) in sorted(cells.items()):
            rel_size = f"{size / ref_size:.3f}" if ref_size else ""
            rel_speed = f"{speed / ref_speed:.2f}x" if ref_speed else ""
            lines.append(f"| {backend} | {level} | {speed:,.1f} | {size:,} | {rel_size} | {rel_speed} |")
    return lines


def main(paths: list[str]) -> int:
    benchmarks = [b for path in paths for b in _load(path)]
    print("Inflate, one frame at a time (8 frames a round):\n")
    print("\n".join(inflate_table(benchmarks, "inflate ")))
    whole = inflate_table(benchmarks, "deflate backends, path -> array: ")
    if whole:
        print("\nWhole files, path -> array, one thread:\n")
        print("\n".join(whole))
    print("\nGoals:\n")
    print("| goal | target | measured | separate runs | met |\n|---|---|---|---|---|")
    for path in paths:
        for goal, target, ratio, separate, met_text, _ in rows(path):
            print(f"| {goal} | {target} | {ratio} | {separate} | {met_text} |")
    print("\nEncode, framecodec.deflate(frame, level, backend), 8 frames a round:")
    print("\n".join(encode_table(benchmarks)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
