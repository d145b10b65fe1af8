"""The issue 7 goal table from a bench_pipeline.py JSON file: goal, measured ratio, met or not.

Each goal is recorded by the framecodec benchmark that carries it (``extra_info["goals"]``), from rounds
in which framecodec and its peers ran interleaved: "measured" is the median over those rounds of each
round's ratio. "separate runs" is the ratio of the benchmarks' own medians (each implementation timed on
its own, as report.py shows them), where the peer has a benchmark in the same group: a check on the noise.
Several JSON files (say one per pydicom version) are read in order; a goal measured in more than one is
listed once per file. Usage:

    python -m pytest benchmarks/bench_pipeline.py --benchmark-json=pipeline.json
    python benchmarks/pipeline_report.py pipeline.json [more.json ...]

Goals that are a time limit rather than a ratio (bench_reader.py's "under 100 ms") carry ``seconds`` instead of
``ratio`` and show as "< 100.0 ms" against the measured median.

A goal whose peer cannot run in that environment (pylibjpeg-rle's plugin and 1-bit RLE under pydicom 3.1)
is listed as not measured, with the reason. Exits with 1 when a measured goal is missed (the table is
printed either way).
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _medians(data: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {
        (b["group"], b.get("extra_info", {}).get("impl", b["name"])): b["stats"]["median"]
        for b in data["benchmarks"]
    }


def _separate(b: dict[str, Any], medians: dict[tuple[str, str], float], goal: dict[str, Any]) -> str:
    """The goal's ratio from separately timed medians, when the peer has a benchmark of its own."""
    peer = goal.get("peer")
    if not peer:
        return ""
    group, impl = b["group"], b["extra_info"]["impl"]
    ours = medians.get((group, impl))
    theirs = medians.get((group, peer))
    if not ours or not theirs:
        return ""
    ratio = ours / theirs if goal["at_most"] else theirs / ours
    return f"{ratio:.2f}x"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def rows(path: str) -> list[tuple[str, str, str, str, str, bool]]:
    with open(path) as f:
        data = json.load(f)
    medians = _medians(data)
    found = []
    for b in data["benchmarks"]:
        info = b.get("extra_info", {})
        for g in info.get("goals", []):
            if "seconds" in g:  # an absolute goal (bench_reader.py): a time under a limit
                met = g["seconds"] < g["target"]
                measured = _ms(g["seconds"])
                found.append((g["goal"], f"< {_ms(g['target'])}", measured, "", "yes" if met else "**no**", met))
                continue
            target = f"{'≤' if g['at_most'] else '≥'} {g['target']:.2f}x"
            if g.get("ratio") is None:  # the peer cannot run here: say why, count it neither way
                found.append((g["goal"], target, f"not measured: {g.get('why', '')}", "", "?", True))
                continue
            met = g["ratio"] <= g["target"] if g["at_most"] else g["ratio"] >= g["target"]
            found.append((g["goal"], target, f"{g['ratio']:.2f}x", _separate(b, medians, g), "yes" if met else "**no**", met))
    return found


def scaling(path: str) -> list[str]:
    with open(path) as f:
        data = json.load(f)
    out = []
    for b in data["benchmarks"]:
        s = b.get("extra_info", {}).get("scaling")
        if s:
            out.append(
                f"{b['group']}: {s['threads']} threads over 1, framecodec {s['framecodec']:.2f}x, "
                f"zlib in a ThreadPoolExecutor {s['zlib ThreadPoolExecutor']:.2f}x"
            )
    return out


def speedups(path: str) -> list[str]:
    """compress: every peer's interleaved median over framecodec's (threads=1)."""
    with open(path) as f:
        data = json.load(f)
    out = []
    for b in sorted(data["benchmarks"], key=lambda b: b["group"]):
        s = b.get("extra_info", {}).get("speed-ups")
        if s and b["group"].startswith("compress"):
            out.append(f"{b['group']}: " + ", ".join(f"{name} {r:.2f}x" for name, r in s.items()))
    return out


def main(paths: list[str]) -> int:
    lines = ["| goal | target | measured | separate runs | met |", "|---|---|---|---|---|"]
    missed = False
    for path in paths:
        for goal, target, ratio, separate, met_text, met in rows(path):
            lines.append(f"| {goal} | {target} | {ratio} | {separate} | {met_text} |")
            missed |= not met
    print("\n".join(lines))
    threads = [line for path in paths for line in scaling(path)]
    if threads:
        print("\nThread scaling (median over the interleaved rounds of each round's ratio):")
        print("\n".join(f"- {line}" for line in threads))
    compress = [line for path in paths for line in speedups(path)]
    if compress:
        print("\ncompress, framecodec threads=1 against (median of the interleaved rounds' ratios; above 1.0 "
              "framecodec threads=1 is faster):")
        print("\n".join(f"- {line}" for line in compress))
    return 1 if missed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
