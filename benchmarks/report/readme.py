"""README.md's performance figures, written from RESULTS.md (issue 21: every README figure is a row of it).

``python -m benchmarks.report`` writes RESULTS.md, then rewrites the lines of README.md between the markers
``<!-- results: begin -->`` and ``<!-- results: end -->``: one bullet per :data:`HEADLINES` entry, whose figure is
copied, as text, from a cell of RESULTS.md's tables (a ratio from an area table's "time / framecodec's" column or a
median, or a goal row's "measured" cell). A headline whose row RESULTS.md lacks is left out, and said."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"


@dataclass(frozen=True)
class Headline:
    """A README bullet: ``text`` with ``{figure}`` (and ``{group}``, the row's group name) filled from the first
    row of RESULTS.md whose group matches ``group`` (a regular expression) and whose implementation is ``impl``:
    its ratio cell (the time of ``impl`` over framecodec's), or with ``cell="median"`` its median. With
    ``goal=True`` ``group`` matches a goal row's goal text, and the figure is its "measured" cell."""

    text: str
    group: str
    impl: str = ""
    cell: str = "ratio"
    goal: bool = False


#: The README's performance bullets, in order.
HEADLINES: list[Headline] = []


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _impl_name(cell: str) -> str:
    """An implementation cell without its bold, its † and an encoder's compression ratio."""
    name = cell.replace("**", "").replace(" †", "").strip()
    return re.sub(r" \(\d[\d.,]*:1\)$", "", name)


def rows(results: str) -> list[tuple[str, str, dict[str, str]]]:
    """Every row of RESULTS.md's area tables as (group, implementation, {"median", "ratio", "mbs"}), the group
    name without the ceiling note, in the file's order."""
    out = []
    group = ""
    for line in results.splitlines():
        if not line.startswith("| ") or line.startswith("| group ") or line.startswith("|---"):
            continue
        c = _cells(line)
        if len(c) != 6:
            continue
        if c[0]:
            group = c[0].split("; framecodec = ")[0]
        out.append((group, _impl_name(c[1]), {"median": c[3], "mbs": c[4], "ratio": c[5]}))
    return out


def goal_rows(results: str) -> list[tuple[str, str]]:
    """The goal table's rows as (goal text, measured cell)."""
    out = []
    for line in results.splitlines():
        c = _cells(line) if line.startswith("| ") else []
        if len(c) == 5 and c[4] in ("yes", "**no**", "-"):
            out.append((c[1], c[3]))
    return out


def bullets(results: str, headlines: list[Headline] = HEADLINES) -> tuple[list[str], list[str]]:
    """The README's bullets from RESULTS.md's text, and the headlines left out (their rows are missing)."""
    table, goals = rows(results), goal_rows(results)
    made, missing = [], []
    for h in headlines:
        found: tuple[str, str] | None = None
        if h.goal:
            found = next(((t, m) for t, m in goals if re.search(h.group, t)), None)
        else:
            hit = next(
                (r for r in table if re.search(h.group, r[0]) and r[1] == h.impl and r[2][h.cell][:1].isdigit()), None
            )
            found = (hit[0], hit[2][h.cell]) if hit else None
        if found is None or found[1].startswith("not measured"):
            missing.append(h.text)
            continue
        figure = found[1].replace(" ", "\u00a0")  # "2.38 ms" stays on one line
        line = textwrap.fill(h.text.format(figure=figure, group=found[0]), 116, break_on_hyphens=False)
        made.append("- " + line.replace("\n", "\n  ").replace("\u00a0", " "))
    return made, missing


def update(readme: Path, results: Path, headlines: list[Headline] = HEADLINES) -> list[str]:
    """Rewrites README's lines between the markers from ``results``; returns the headlines left out."""
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return [f"{readme} has no {BEGIN} ... {END} block"]
    made, missing = bullets(results.read_text(encoding="utf-8"), headlines)
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + BEGIN + "\n" + "\n".join(made) + "\n" + END + tail, encoding="utf-8")
    return missing
