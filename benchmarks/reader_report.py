"""The FrameReader figures (issue 8) from a bench_reader.py JSON file: the goal table, then one table of every
implementation per benchmark and slide, and the cold-cache opens when they were measured.

    FRAMECODEC_BENCH_FRAMES=100000 python -m pytest benchmarks/bench_reader.py --benchmark-json=reader.json
    python benchmarks/reader_report.py reader.json [more.json ...]

Every figure comes from the interleaved rounds (``extra_info["interleaved"]``: each implementation's median
over the rounds in which all of them ran); "framecodec speed-up" is the median over those rounds of each
round's ratio of that implementation's time to the benchmark's framecodec time (``extra_info["speed-ups"]``):
above 1.0 framecodec is faster. Exits with 1 when a measured goal is missed (the tables are printed either way).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pipeline_report import rows

KINDS = ["open:", "open, against pydicom:", "one random frame:", "random frames:", "read_region"]
SLIDES = [f"{s}-{t}" for s in ("jpeg", "rle", "deflate") for t in ("sparse", "full")]


def _order(b: dict[str, Any]) -> tuple[int, int, str]:
    """By benchmark (open, ..., read_region), then slide (JPEG, RLE, deflate; TILED_SPARSE before TILED_FULL)."""
    group, slide = b["group"], b["extra_info"].get("slide", "")
    kind = next((i for i, k in enumerate(KINDS) if group.startswith(k) or k in group), len(KINDS))
    return kind, SLIDES.index(slide) if slide in SLIDES else len(SLIDES), group


def _rate(info: dict[str, Any], seconds: float) -> str:
    unit, items = info.get("unit"), info.get("items", 1)
    if unit == "frames":
        return f"{items / seconds:,.0f} frames/s"
    if unit == "frame":
        return f"{1 / seconds:,.0f} frames/s"
    if unit == "pixels":
        return f"{items * 3 / seconds / 1e6:,.0f} MB/s"
    return ""


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def tables(path: str) -> list[str]:
    with open(path) as f:
        data = json.load(f)
    benches = [b for b in data["benchmarks"] if "interleaved" in b.get("extra_info", {})]
    lines = ["| benchmark | implementation | median | rate | framecodec speed-up |", "|---|---|---|---|---|"]
    notes: list[str] = []
    cold: list[str] = []
    for b in sorted(benches, key=_order):
        info = b["extra_info"]
        medians: dict[str, float] = info["interleaved"]
        ups: dict[str, float] = info.get("speed-ups", {})
        for name, seconds in sorted(medians.items(), key=lambda kv: kv[1]):
            up = "" if name == info["impl"] else f"{ups[name]:.2f}x" if name in ups else ""
            lines.append(f"| {b['group']} | {name} | {_time(seconds)} | {_rate(info, seconds)} | {up} |")
        for peer, why in info.get("missing", {}).items():
            notes.append(f"{b['group']}: no {peer}: {why}")
        if "cold" in info:
            figures = ", ".join(f"{name} {_time(s)}" for name, s in info["cold"].items())
            cold.append(f"{b['group']}: {figures} (after {info['cold_method']})")
    out = ["\n".join(lines)]
    if notes:
        out.append("Left out:\n" + "\n".join(f"- {n}" for n in sorted(set(notes))))
    if cold:
        out.append("Out of the page cache (one open each):\n" + "\n".join(f"- {c}" for c in cold))
    return out


def main(paths: list[str]) -> int:
    lines = ["| goal | target | measured | met |", "|---|---|---|---|"]
    missed = False
    for path in paths:
        for goal, target, ratio, _separate, met_text, met in rows(path):
            lines.append(f"| {goal} | {target} | {ratio} | {met_text} |")
            missed |= not met
    print("\n".join(lines))
    for path in paths:
        for block in tables(path):
            print("\n" + block)
    return 1 if missed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
