"""``python -m benchmarks.report``: run the benchmark suite and write benchmarks/RESULTS.md with its plots.

    python -m benchmarks.report                       # the full run (about an hour on 2 cores)
    python -m benchmarks.report --smoke --out /tmp/r  # every benchmark once at tiny sizes: checks it all runs
    python -m benchmarks.report --only deflate rle    # some areas (RESULTS.md then holds only those)
    python -m benchmarks.report --from-json DIR       # write RESULTS.md again from an earlier run's JSON
    python -m benchmarks.report --only jpeg_family --update   # one area run, merged into the existing RESULTS.md
    python -m benchmarks.report --from-json DIR --only jpeg_family --update   # the same from that area's JSON
    FRAMECODEC_BENCH_FRAMES=100000 python -m benchmarks.report   # the 100,000-frame slides and sweep points

A run that writes benchmarks/RESULTS.md also rewrites README.md's performance bullets from it
(benchmarks/report/readme.py). Each area (bench_<area>.py) runs in a pytest process of its own, writing
DIR/<area>.json (default DIR: benchmarks/.results/). With a pydicom 3.1 environment (``--pydicom31 PYTHON``,
default ``.venv31/bin/python`` when it exists), bench_pipeline.py runs there too, for pydicom 3.1's own Deflated
Image Frame plugin as a peer.
Exit status: 0 when every area ran, 1 when one failed (RESULTS.md says which).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from . import goals, machine, plots, readme, results, tables

BENCHMARKS = Path(__file__).resolve().parents[1]
ROOT = BENCHMARKS.parent
AREAS = ["deflate", "bitpack", "rle", "encaps", "pipeline", "reader", "dask", "jpeg_family", "transcode", "remote"]
TITLES = {
    "deflate": "Deflate and inflate of one frame (Deflated Image Frame Compression)",
    "bitpack": "1-bit packing",
    "rle": "RLE Lossless frames",
    "encaps": "Encapsulated Pixel Data: offset tables and frames",
    "pipeline": "Whole files: pixel_array, the pydicom plugins, compress, FrameReader access",
    "reader": "Opening huge files: FrameReader and tile positions",
    "dask": "framecodec.dask on a LocalCluster",
    "jpeg_family": "The JPEG family (issue 16): a JPEG slide against wsidicom and OpenSlide; JPEG 2000, HTJ2K and "
    "JPEG-LS files against pydicom's plugins",
    "transcode": "Streaming transcode and FrameWriter (issue 17): peak RSS and time in fresh processes, against the "
    "in-memory decode + encode and highdicom",
    "remote": "FrameReader over S3 (issue 19): requests and time through a 20 ms proxy, against highdicom and wsidicom "
    "over s3fs",
}
# an area is bench_AREA.py, or these files run together into one JSON
FILES = {"jpeg_family": ["bench_jpeg_family.py", "bench_jpeg_family_files.py"]}
PYDICOM31_AREAS = ["pipeline"]  # the areas with pydicom 3.1-only peers
MACHINE, GOALS = "Machine and versions", "Goals of the earlier issues"  # RESULTS.md's first two headings


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.report", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--smoke", action="store_true", help="each benchmark once at tiny sizes (--benchmark-disable)")
    p.add_argument("--only", nargs="+", choices=AREAS, metavar="AREA", help=f"some areas: {', '.join(AREAS)}")
    p.add_argument(
        "--out", type=Path, default=BENCHMARKS / "RESULTS.md", help="where RESULTS.md goes (its plots beside it)"
    )
    p.add_argument("--json-dir", type=Path, default=BENCHMARKS / ".results", help="where the JSON files go")
    p.add_argument("--from-json", type=Path, metavar="DIR", help="no run: the report from DIR's JSON files")
    p.add_argument(
        "--pydicom31",
        metavar="PYTHON",
        default=_default_31(),
        help="a Python with pydicom 3.1 and framecodec (default: .venv31/bin/python if it exists)",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="merge into the existing RESULTS.md (--out): only these areas' sections and goal rows are "
        "replaced (or added), the rest is kept as it was; with --only or --from-json",
    )
    args = p.parse_args(argv)
    if args.update and not (args.only or args.from_json):
        p.error("--update needs --only AREA (or --from-json DIR): the areas to merge")
    areas = [a for a in (args.only or AREAS) if all((BENCHMARKS / f).exists() for f in bench_files(a))]
    failures: list[str] = []
    if args.from_json:
        jsons = sorted(j for j in args.from_json.glob("*.json") if results.area_of(j)[0] in areas)
    else:
        args.json_dir.mkdir(parents=True, exist_ok=True)
        jsons = []
        for area in areas:
            envs = [(sys.executable, "")]
            if area in PYDICOM31_AREAS and args.pydicom31:
                envs.append((args.pydicom31, "pydicom-3.1"))
            for python, env in envs:
                out = args.json_dir / (f"{area}@{env}.json" if env else f"{area}.json")
                if _run(python, area, out, args.smoke):
                    jsons.append(out)
                else:
                    failures.append(" ".join(bench_files(area)) + (f" under {env}" if env else ""))
    res = results.load([j for j in jsons if j.exists()])
    if args.update and args.out.exists():  # an area that failed keeps its section and rows from before
        ran = {results.area_of(j)[0] for j in jsons if j.exists()}
        merge(res, args.out, [a for a in areas if a in ran], failures)
    else:
        write(res, args.out, areas, args.pydicom31, failures, args.smoke)
    print(f"wrote {args.out}" + (f"; failed: {', '.join(failures)}" if failures else ""))
    if not args.smoke and args.out.resolve() == (BENCHMARKS / "RESULTS.md").resolve():
        for left_out in readme.update(ROOT / "README.md", args.out):  # README's figures, copied from RESULTS.md
            print(f"README.md: left out (no such row in {args.out.name}): {left_out}")
    return 1 if failures else 0


def _default_31() -> str | None:
    candidate = ROOT / ".venv31" / "bin" / "python"
    return str(candidate) if candidate.exists() else None


def bench_files(area: str) -> list[str]:
    return FILES.get(area, [f"bench_{area}.py"])


def _run(python: str, area: str, out: Path, smoke: bool) -> bool:
    cmd = [
        python,
        "-m",
        "pytest",
        *(str(BENCHMARKS / f) for f in bench_files(area)),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--benchmark-json={out}",
    ]
    if smoke:
        cmd.append("--benchmark-disable")
    print(f"running {' '.join(bench_files(area))} ({python})", flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    print(f"  {time.perf_counter() - start:,.0f} s: {last}", flush=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
    return done.returncode == 0


def commentary() -> dict[str, str]:
    """The hand-written paragraphs of commentary.md, by area (``## area`` headings)."""
    path = Path(__file__).with_name("commentary.md")
    out: dict[str, list[str]] = {}
    current = None
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def write(
    res: results.Results, out: Path, areas: list[str], pydicom31: str | None, failures: list[str], smoke: bool
) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    notes = commentary()
    grouped = results.by_area(res.groups)
    made = {
        "reader": plots.frames_plot(res.points, out.with_name("plot_frames.png")),
        "pipeline": plots.threads_plot(res.points, out.with_name("plot_threads.png")),
        "deflate": plots.throughput_plot(
            [g for g in grouped.get("deflate", []) if "inflate" in g.name.lower()],
            out.with_name("plot_inflate.png"),
            "Inflate: decoded MB/s per implementation and data kind",
        ),
    }
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m benchmarks.report{' --smoke' if smoke else ''}` from one run of every benchmark file; "
        "the paragraphs under the tables are benchmarks/report/commentary.md. Medians; ratios of times measured in "
        "the same rounds where the benchmark interleaves its implementations († marks a median timed in rounds of "
        'its own). "time / framecodec\'s" above 1.0: framecodec is faster. MB/s are of decoded data.',
        "",
    ]
    if smoke:
        lines += ["**Smoke run: every benchmark once at tiny sizes, no figures.**", ""]
    if failures:
        lines += [f"**Failed to run: {', '.join(failures)}.**", ""]
    lines += [
        f"## {MACHINE}",
        "",
        machine.describe_machine(pydicom31),
        "",
        f"## {GOALS}",
        "",
        tables.goal_table(_goals(res)),
        "",
    ]
    if "goals" in notes:
        lines += [notes["goals"], ""]
    for area in areas:
        lines += [f"## {TITLES.get(area, area)}", "", *_area_lines(area, grouped, made, notes)]
    out.write_text("\n".join(lines).rstrip() + "\n")


def _area_lines(
    area: str, grouped: dict[str, list[results.Group]], made: dict[str, Path | None], notes: dict[str, str]
) -> list[str]:
    """An area's section under its heading: how to run it, its table, its plot, its commentary."""
    files = " ".join(f"benchmarks/{f}" for f in bench_files(area))
    lines = [
        f"`python -m benchmarks.report --only {area}`, or `python -m pytest {files} --benchmark-json={area}.json`",
        "",
    ]
    if grouped.get(area):
        lines += [tables.area_table(grouped[area]), ""]
    plot = made.get(area)
    if plot is not None:
        lines += [f"![{plot.stem}]({plot.name})", ""]
    if notes.get(area):
        lines += [notes[area], ""]
    return lines


def _sections(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lines before the first ``## `` heading, and each ``## `` section as (heading, its lines)."""
    head: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
        else:
            head.append(line)
    return head, sections


def _row_area(line: str) -> str:
    """A goal row's area: its first cell without the environment, "pipeline (pydicom-3.1)" -> "pipeline"."""
    return line.split("|")[1].strip().split(" (")[0]


def merge(res: results.Results, out: Path, areas: list[str], failures: list[str]) -> None:
    """``--update``: this run's areas written into the existing RESULTS.md. Their sections are replaced (or added
    in AREAS' order) and their goal rows replaced (or appended) in the goal table; the other areas' sections and
    rows stay as they were. Machine and versions gets a line saying when these areas were measured and with
    which framecodec, and a row for each library its table lacks; the goal notes (commentary.md) are
    rewritten."""
    notes = commentary()
    grouped = results.by_area(res.groups)
    head, sections = _sections(out.read_text())
    found = dict(sections)
    # the goal table: the other areas' rows as they were, then this run's
    goal_lines = found.get(GOALS, [])
    table = [line for line in goal_lines if line.startswith("|")]
    fresh = tables.goal_table([g for g in _goals(res) if g.area in areas]).splitlines()[2:]
    rows: list[str] = []
    for line in table[2:]:  # the old rows in their order, an updated area's new rows where its first old row was
        area = _row_area(line)
        if area not in areas:
            rows.append(line)
        elif not any(_row_area(r) == area for r in rows):
            rows += [r for r in fresh if _row_area(r) == area]
    rows += [r for r in fresh if r not in rows]
    goal_section = ["", *(table[:2] or tables.goal_table([]).splitlines()), *rows, ""]
    if "goals" in notes:
        goal_section += [notes["goals"], ""]
    found[GOALS] = goal_section
    # machine and versions: when these areas were measured; the libraries the table lacks
    machine_lines = found.get(MACHINE, [])
    stamp = f"- {', '.join(areas)}: measured {date.today().isoformat()} (`--update`), {machine.framecodec_line()}"
    machine_lines = [line for line in machine_lines if not line.startswith(f"- {', '.join(areas)}: measured ")]
    bullets = [i for i, line in enumerate(machine_lines) if line.startswith("- ")]
    machine_lines.insert(bullets[-1] + 1 if bullets else 1, stamp)
    listed = {line.split("|")[1].strip() for line in machine_lines if line.startswith("| ")}
    rows = [f"| {n} | {v} | {why} |" for n, v, why in machine.versions() if n not in listed]
    last_row = max((i for i, line in enumerate(machine_lines) if line.startswith("| ")), default=len(machine_lines) - 1)
    machine_lines[last_row + 1 : last_row + 1] = rows
    found[MACHINE] = machine_lines
    # the areas' sections
    for area in areas:
        found[TITLES.get(area, area)] = ["", *_area_lines(area, grouped, {}, notes)]
    if failures:
        head = [line for line in head if not line.startswith("**Failed to run")]
        head += [f"**Failed to run: {', '.join(failures)}.**", ""]
    headings = [h for h, _ in sections]
    for area in areas:  # a new area's section goes after the area before it in AREAS' order
        title = TITLES.get(area, area)
        if title in headings:
            continue
        before = [TITLES.get(a, a) for a in AREAS[: AREAS.index(area)] if TITLES.get(a, a) in headings]
        headings.insert(headings.index(before[-1]) + 1 if before else len(headings), title)
    lines = list(head)
    for h in headings:
        lines += [f"## {h}", *found[h]]
        if lines[-1] != "":
            lines.append("")
    out.write_text("\n".join(lines).rstrip() + "\n")


def _goals(res: results.Results) -> list[results.Goal]:
    """Every goal once. A second environment's run (pydicom 3.1) counts only for the goals the main run could not
    measure (its pydicom has no such peer); for the others it repeats the main run, with fewer peers installed."""
    found = goals.evaluate(res.groups) + res.goals
    unmeasured = {(g.area, g.text) for g in found if not g.environment and g.ratio is None and g.seconds is None}
    kept = [g for g in found if not g.environment or (g.area, g.text) in unmeasured]
    elsewhere = {(g.area, g.text) for g in kept if g.environment and (g.ratio is not None or g.seconds is not None)}
    return [g for g in kept if g.environment or (g.area, g.text) not in elsewhere]


if __name__ == "__main__":
    sys.exit(main())
