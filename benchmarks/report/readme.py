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
    its ratio cell (the time of ``impl`` over framecodec's), or with ``cell="median"`` its median; with
    ``cell="impl"``, ``impl`` is a regular expression whose first group, in the implementation's name, is the figure
    (a peak RSS the name carries). With ``goal=True`` ``group`` matches a goal row's goal text, and the figure is its
    "measured" cell. A text that starts with "... " goes on the bullet before it, after "; "."""

    text: str
    group: str
    impl: str = ""
    cell: str = "ratio"
    goal: bool = False


_PATH = "path -> array: "
_RLE_PEER, _PYDICOM = "pylibjpeg-rle (dcmread + ds.pixel_array)", "pydicom (dcmread + ds.pixel_array)"
_FLOOR = r"^issue 21: 1-bit framecodec.pixel_array.*"

#: The README's performance bullets, in order.
HEADLINES: list[Headline] = [
    Headline(
        "`framecodec.pixel_array(path, threads=1)` over pylibjpeg-rle's plugin (dcmread + ds.pixel_array): {figure} "
        "on {group}",
        rf"^{_PATH}400 .*masks.*RLE",
        _RLE_PEER,
    ),
    Headline("... and {figure} on {group}", rf"^{_PATH}1,000 .*RGB.*RLE", _RLE_PEER),
    Headline(
        "... over pydicom 3.1's own Deflated Image Frame decoder: {figure} on {group}",
        rf"^{_PATH}400 .*masks.*deflate.*\(pydicom-3.1\)",
        _PYDICOM,
    ),
    Headline(
        "`ds.pixel_array` with framecodec's plugin over pydicom 3.1's own: {figure} on {group}",
        r"^ds.pixel_array: 1,000 .*RGB.*deflate.*\(pydicom-3.1\)",
        "pydicom",
    ),
    Headline("A 1-bit `pixel_array` takes {figure} the time of `np.empty` + fill ({group})", _FLOOR + "RLE", goal=True),
    Headline("... and {figure} in deflate ({group})", _FLOOR + "deflate", goal=True),
    Headline("inflate (libdeflate) over Python's zlib: {figure} on {group}", r"^inflate .*1-bit", "zlib"),
    Headline(
        "`FrameReader(path)` of a 100,000-frame slide with an Extended Offset Table: {figure} ({group})",
        r"^issue 21: 100,000-frame EOT open < 2 ms: frames of 2",
        goal=True,
    ),
    Headline(
        "... {figure} faster than wsidicom's lazy open ({group})",
        r"^issue 21: open >= 1.0x wsidicom lazy open: 100,000 frames of 2",
        goal=True,
    ),
    Headline(
        "`read_region` 2048 x 2048 on one core, JPEG slide: {figure} wsidicom's",
        r"^issue 16: read_region 2048 x 2048 on one core at least 1.5x wsidicom",
        goal=True,
    ),
    Headline(
        "... and {figure} OpenSlide's ({group})",
        r"^issue 16: read_region 2048 x 2048 on one core at least 3x OpenSlide",
        goal=True,
    ),
    Headline(
        "`transcode` of a 10,000-frame slide to RLE Lossless, verify=True: a peak RSS of {figure} ({group})",
        r"^transcode to RLE Lossless: 10,000",
        r"framecodec.transcode verify=True; peak RSS ([\d,]+ MB)",
        cell="impl",
    ),
]


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


def _figure(h: Headline, group: str, impl: str, cells: dict[str, str]) -> tuple[str, str] | None:
    """(group, figure) when this row is the headline's."""
    if not re.search(h.group, group):
        return None
    if h.cell == "impl":
        m = re.fullmatch(h.impl, impl)
        return (group, m.group(1)) if m else None
    return (group, cells[h.cell]) if impl == h.impl and cells[h.cell][:1].isdigit() else None


def bullets(results: str, headlines: list[Headline] = HEADLINES) -> tuple[list[str], list[str]]:
    """The README's bullets from RESULTS.md's text, and the headlines left out (their rows are missing)."""
    table, goals = rows(results), goal_rows(results)
    made, missing = [], []
    for h in headlines:
        found: tuple[str, str] | None = None
        if h.goal:  # a goal's text is "issue N: what: data"; {group} is the data
            found = next(((t.split(": ", 2)[-1], m) for t, m in goals if re.search(h.group, t)), None)
        else:
            found = next((f for r in table if (f := _figure(h, *r))), None)
        if found is None or found[1].startswith("not measured"):
            missing.append(h.text)
            continue
        text = h.text.format(figure=found[1].replace(" ", "\u00a0"), group=found[0])  # "2.38 ms" on one line
        if text.startswith("... ") and made:  # goes on the bullet before it
            made[-1] += "; " + text[4:]
        else:
            made.append(text.removeprefix("... "))
    wrapped = [textwrap.fill(t, 116, break_on_hyphens=False).replace("\n", "\n  ") for t in made]
    return ["- " + t.replace("\u00a0", " ") for t in wrapped], missing


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
