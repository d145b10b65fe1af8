"""The FrameReader figures (issue 8) from a bench_reader.py JSON file: the goal table, then one table of every
implementation per benchmark and slide, and the cold-cache opens when they were measured.

    FRAMECODEC_BENCH_FRAMES=100000 python -m pytest benchmarks/bench_reader.py --benchmark-json=reader.json
    python benchmarks/reader_report.py reader.json [more.json ...]

Every figure comes from the interleaved rounds (``extra_info["interleaved"]``: each implementation's median
over the rounds in which all of them ran), and in brackets the median over those rounds of each round's ratio of
that implementation's time to the time of the benchmark's framecodec implementation (``extra_info["speed-ups"]``):
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
    kind = next((i for i, k in enumerate(KINDS) if k in group), len(KINDS))
    return kind, SLIDES.index(slide) if slide in SLIDES else len(SLIDES), group


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _cell(info: dict[str, Any], name: str) -> str:
    seconds = info["interleaved"][name]
    rate = f"{info['items'] / seconds:,.0f} frames/s" if info.get("unit") == "frames" else ""
    up = info.get("speed-ups", {}).get(name)
    return _time(seconds) + (f", {rate}" if rate else "") + (f" ({up:.2f}x)" if up is not None else "")


def tables(path: str) -> list[str]:
    """One table per benchmark: a row per implementation, a column per slide; each cell the median over the
    interleaved rounds and, in brackets, that implementation's time over framecodec's (per-round median)."""
    with open(path) as f:
        data = json.load(f)
    benches = sorted((b for b in data["benchmarks"] if "interleaved" in b.get("extra_info", {})), key=_order)
    out: list[str] = []
    notes: list[str] = []
    cold: list[str] = []
    for kind in range(len(KINDS) + 1):
        mine = [b for b in benches if _order(b)[0] == kind]
        if not mine:
            continue
        title = mine[0]["group"].split(":")[0]
        slides = [b["extra_info"].get("slide", b["group"]) for b in mine]
        impls: list[str] = []
        for b in mine:
            info = b["extra_info"]
            for name in [info["impl"], *sorted(info["interleaved"], key=info["interleaved"].get)]:
                if name not in impls:
                    impls.append(name)
        lines = [f"| {title} | " + " | ".join(slides) + " |", "|---" * (len(slides) + 1) + "|"]
        for name in impls:
            cells = [_cell(b["extra_info"], name) if name in b["extra_info"]["interleaved"] else "-" for b in mine]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        out.append("\n".join(lines))
        for b in mine:
            info = b["extra_info"]
            for peer, why in info.get("missing", {}).items():
                notes.append(f"{peer}: {why}")
            if "cold" in info:
                figures = ", ".join(f"{name} {_time(s)}" for name, s in info["cold"].items())
                cold.append(f"{b['group']}: {figures} (after {info['cold_method']})")
    frames = sorted({b["extra_info"].get("frames", 0) for b in benches})
    if frames:
        infos = {b["extra_info"]["slide"]: b["extra_info"] for b in benches}
        out.insert(0, f"Slides of {', '.join(f'{n:,}' for n in frames)} frames; " + "; ".join(
            f"{s}: {i['syntax']}, {i['tiling']}, {i['file_bytes'] / 1e9:.2f} GB" for s, i in infos.items()) + ".")
    if notes:
        out.append("Left out:\n" + "\n".join(f"- {n}" for n in sorted(set(notes))))
    loads = [b["extra_info"]["loadavg"] for b in benches if "loadavg" in b["extra_info"]]
    if loads:  # the machine's 1-minute load average as each benchmark started: other work on the cores shows here
        cores = data.get("machine_info", {}).get("cpu", {}).get("count", "?")
        out.append(f"Load average (1 min) as the benchmarks started: {min(loads):.2f} to {max(loads):.2f}, on "
                   f"{cores} cores.")
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
