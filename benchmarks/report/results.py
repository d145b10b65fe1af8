"""pytest-benchmark JSON read into what the report shows: per area and group, each implementation's median and
the bytes it handled; the goals; the sweeps for the plots; the peers recorded missing.

The benchmarks' contract (benchmarks/timing.py): ``group`` says what is measured on what data;
``extra_info``: ``impl`` (framecodec's own start with "framecodec"), ``bytes`` (decoded bytes per call),
``threads``, ``interleaved`` ({impl: median seconds} timed in the same rounds), ``goals``, ``missing``
({peer: reason}), ``sweep`` ({plot, series, x}, or a list of {plot, series, x, seconds}). The area is the bench
file's name (bench_<area>.py).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CEILING = "copy (ceiling)"


@dataclass
class Group:
    area: str
    name: str
    medians: dict[str, float] = field(default_factory=dict)  # impl -> seconds
    interleaved: set[str] = field(default_factory=set)  # impls whose median came from shared rounds
    nbytes: int = 0
    threads: dict[str, int] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    environment: str = ""  # "" or the pydicom line it ran under, when a file ran under two
    baseline: str | None = None  # extra_info["baseline"]: the implementation the others are compared with
    encoded: dict[str, int] = field(default_factory=dict)  # impl -> extra_info["encoded_bytes"] (encoders)

    @property
    def ours(self) -> str | None:
        """The implementation the others are compared with: the benchmark's baseline, else "framecodec", else the
        fastest of ours."""
        if self.baseline in self.medians:
            return self.baseline
        mine = [i for i in self.medians if i.startswith("framecodec")]
        if "framecodec" in mine:
            return "framecodec"
        return min(mine, key=lambda i: self.medians[i]) if mine else None


@dataclass
class Goal:
    area: str
    text: str
    target: float
    at_most: bool
    ratio: float | None = None  # a ratio goal
    seconds: float | None = None  # a time-limit goal
    why: str = ""  # why it was not measured
    environment: str = ""

    @property
    def met(self) -> bool | None:
        if self.seconds is not None:
            return self.seconds < self.target
        if self.ratio is None:
            return None
        return self.ratio <= self.target if self.at_most else self.ratio >= self.target


@dataclass
class Point:
    plot: str
    series: str
    x: float
    seconds: float
    nbytes: int
    environment: str = ""


@dataclass
class Results:
    groups: list[Group] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)  # pytest-benchmark's machine_info of the first file


def area_of(path: Path) -> tuple[str, str]:
    """(area, environment) from a JSON name: ``pipeline.json`` -> ("pipeline", ""), ``pipeline@pydicom-3.1.json``
    -> ("pipeline", "pydicom-3.1")."""
    stem = path.stem
    area, _, env = stem.partition("@")
    return area, env


def load(paths: list[Path]) -> Results:
    out = Results()
    for path in paths:
        area, env = area_of(path)
        text = path.read_text().strip()
        if not text:  # pytest-benchmark 5.2 writes an empty file under --benchmark-disable (the smoke run)
            continue
        data = json.loads(text)
        out.machine = out.machine or data.get("machine_info", {})
        groups: dict[str, Group] = {}
        for b in data.get("benchmarks", []):
            info = b.get("extra_info", {})
            name = b.get("group") or b["name"]
            g = groups.get(name)
            if g is None:
                g = groups[name] = Group(area, name, environment=env)
            impl = info.get("impl", b["name"])
            g.nbytes = g.nbytes or int(info.get("bytes", 0) or 0)
            g.baseline = g.baseline or info.get("baseline")
            if "encoded_bytes" in info:
                g.encoded[impl] = int(info["encoded_bytes"])
            if "threads" in info:
                g.threads[impl] = int(info["threads"])
            g.missing.update(info.get("missing", {}))
            shared = info.get("interleaved") or {}
            for other, median in shared.items():
                g.medians[other] = float(median)
                g.interleaved.add(other)
            if impl not in g.interleaved:
                g.medians[impl] = float(b["stats"]["median"])
            for goal in info.get("goals", []):
                out.goals.append(
                    Goal(
                        area,
                        goal["goal"],
                        float(goal["target"]),
                        bool(goal.get("at_most")),
                        goal.get("ratio"),
                        goal.get("seconds"),
                        goal.get("why", ""),
                        env,
                    )
                )
            sweep = info.get("sweep")
            # one point (this benchmark's time), or a list of points that carry their own times (from its rounds)
            for s in sweep if isinstance(sweep, list) else [sweep] if sweep else []:
                seconds = s.get("seconds", shared.get(impl, b["stats"]["median"]))
                out.points.append(
                    Point(s["plot"], s["series"], float(s["x"]), float(seconds), int(info.get("bytes", 0) or 0), env)
                )
        out.groups.extend(groups.values())
    return out


def natural(text: str) -> list[Any]:
    """Sort key that orders "10 frames" before "100 frames"."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text.replace(",", ""))]


def by_area(groups: list[Group]) -> dict[str, list[Group]]:
    out: dict[str, list[Group]] = defaultdict(list)
    for g in groups:
        out[g.area].append(g)
    return out
