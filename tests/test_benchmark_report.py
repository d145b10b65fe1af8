"""benchmarks/report: the tables, goals and plots it writes from pytest-benchmark JSON (a hand-made file that
follows the benchmarks' extra_info contract), and ``python -m benchmarks.report --smoke`` end to end (every
benchmark once at tiny sizes, so that none of them rots)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from benchmarks.report import plots, results, tables

ROOT = Path(__file__).resolve().parents[1]


def bench(group: str, impl: str, median: float, **info: Any) -> dict[str, Any]:
    return {"group": group, "name": f"test_{impl}", "stats": {"median": median}, "extra_info": {"impl": impl, **info}}


def write(folder: Path, name: str, benchmarks: list[dict[str, Any]]) -> Path:
    path = folder / name
    path.write_text(json.dumps({"machine_info": {"cpu": "test"}, "benchmarks": benchmarks}))
    return path


def test_tables_goals_and_plots(tmp_path: Path) -> None:
    deflate = write(
        tmp_path,
        "deflate.json",
        [
            bench(
                "inflate RGB tile",
                "framecodec",
                0.002,
                bytes=4_000_000,
                threads=1,
                interleaved={"framecodec": 0.001, "zlib": 0.003, "copy (ceiling)": 0.0005},
                missing={"isal": "not installed"},
                goals=[
                    {"goal": "≥2x zlib", "ratio": 3.0, "target": 2.0, "at_most": False},
                    {"goal": "≥1x isal", "ratio": None, "target": 1.0, "at_most": False, "why": "isal missing"},
                ],
            ),
            bench("inflate RGB tile", "zlib-ng", 0.004, bytes=4_000_000),  # timed in rounds of its own
            bench(
                "inflate CT",
                "framecodec",
                0.01,
                bytes=1_000_000,
                goals=[{"goal": "≥1x the fastest", "ratio": 0.9, "target": 1.0, "at_most": False}],
            ),
        ],
    )
    reader = write(
        tmp_path,
        "reader.json",
        [
            bench(
                f"open {n}",
                "framecodec",
                1e-5 * n,
                sweep={"plot": "frames", "series": "open", "x": n},
                goals=[{"goal": "open under 100 ms", "seconds": 1e-5 * n, "target": 0.1, "at_most": True}],
            )
            for n in (10, 100, 100_000)
        ],
    )
    pipeline = write(
        tmp_path,
        "pipeline@pydicom-3.1.json",
        [
            bench(
                f"decode, {t} threads", "framecodec", 1.0 / t, sweep={"plot": "threads", "series": "framecodec", "x": t}
            )
            for t in (1, 2)
        ],
    )
    res = results.load([deflate, reader, pipeline])
    areas = results.by_area(res.groups)
    assert set(areas) == {"deflate", "reader", "pipeline"}
    assert areas["pipeline"][0].environment == "pydicom-3.1"

    text = tables.area_table(areas["deflate"])
    rows = {line.split("|")[2].strip(): line for line in text.splitlines()[2:]}
    assert "framecodec = 2.00x the copy" in text  # 0.001 / 0.0005
    assert "| 3.00x |" in rows["zlib"] and "4,000" in rows["**framecodec**"]  # 4 MB in 1 ms
    assert "| 4.00x |" in rows["zlib-ng †"]  # its own rounds: marked
    assert "| 0.50x |" in rows["copy (ceiling)"]
    assert "missing" in rows["isal"] and "not installed" in rows["isal"]

    goals = tables.goal_table(res.goals)
    lines = goals.splitlines()
    assert any("≥2x zlib" in line and "3.00x" in line and "| yes |" in line for line in lines)
    assert any("≥1x the fastest" in line and "0.90x" in line and "**no**" in line for line in lines)
    assert any("≥1x isal" in line and "not measured: isal missing" in line and "| - |" in line for line in lines)
    opens = [line for line in lines if "open under 100 ms" in line]
    assert len(opens) == 3 and opens[-1].endswith("| **no** |")  # 1 s for 100,000 frames

    for make, name in (
        (lambda p: plots.frames_plot(res.points, p), "f.png"),
        (lambda p: plots.threads_plot(res.points, p), "t.png"),
        (lambda p: plots.throughput_plot(areas["deflate"], p, "MB/s"), "m.png"),
    ):
        path = make(tmp_path / name)
        assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
    assert plots.frames_plot([], tmp_path / "none.png") is None


def test_an_empty_benchmark_json_is_no_results(tmp_path: Path) -> None:
    """pytest-benchmark 5.2 writes an empty file under --benchmark-disable: no groups, not a crash. (The smoke run of
    every benchmark is a step of .ci/run of its own: python -m benchmarks.report --smoke.)"""
    (tmp_path / "deflate.json").write_text("")
    (tmp_path / "rle.json").write_text('{"machine_info": {}, "benchmarks": []}')
    res = results.load([tmp_path / "deflate.json", tmp_path / "rle.json"])
    assert not res.groups and not res.goals


@pytest.mark.parametrize("bad", ["--only nothing"])
def test_report_usage(bad: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.report", *bad.split()], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_kernel_goals_from_group_medians(tmp_path: Path) -> None:
    from benchmarks.report import goals

    path = write(
        tmp_path,
        "rle.json",
        [
            bench("rle decode RGB tile", "framecodec", 0.001),
            bench("rle decode RGB tile", "imagecodecs", 0.004),
            bench("rle decode RGB tile", "pylibjpeg-rle", 0.002),  # the faster peer: 2.0x
            bench("rle decode CT", "framecodec", 0.002, missing={"imagecodecs": "not installed"}),
            bench("rle decode CT", "pylibjpeg-rle", 0.0022),  # 1.1x: missed
            bench("rle encode RGB tile", "framecodec", 0.001, missing={"pylibjpeg-rle": "not installed"}),
            bench("rle encode RGB tile", "pydicom", 0.06),  # 60x
        ],
    )
    found = {(g.text.split(": ")[-1], g.target): g for g in goals.evaluate(results.load([path]).groups)}
    assert found[("rle decode RGB tile", 1.3)].ratio == pytest.approx(2.0) and found[("rle decode RGB tile", 1.3)].met
    assert found[("rle decode CT", 1.3)].ratio == pytest.approx(1.1) and found[("rle decode CT", 1.3)].met is False
    assert found[("rle encode RGB tile", 50.0)].met and found[("rle encode RGB tile", 1.3)].met is None
    assert found[("rle encode RGB tile", 1.3)].why == "pylibjpeg-rle missing"


def test_encoders_show_their_compression_ratio(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "deflate.json",
        [
            bench("deflate levels CT", "zlib 6", 0.01, bytes=1000, encoded_bytes=250),
            bench("deflate levels CT", "libdeflate 12", 0.05, bytes=1000, encoded_bytes=200),
        ],
    )
    text = tables.area_table(results.load([path]).groups)
    assert "zlib 6 (4.00:1)" in text and "libdeflate 12 (5.00:1)" in text


def test_readme_bullets_are_copied_from_results(tmp_path: Path) -> None:
    """README's performance bullets take each figure, as text, from RESULTS.md's tables: a ratio, a median, a goal's
    measured cell; a row RESULTS.md lacks (or a peer it lists as missing) leaves its bullet out."""
    from benchmarks.report import readme

    res = results.load(
        [
            write(
                tmp_path,
                "rle.json",
                [
                    bench(
                        "rle decode CT, 2.50:1",
                        "framecodec",
                        0.002,
                        bytes=10**6,
                        interleaved={"framecodec": 0.002, "imagecodecs": 0.0061, "copy (ceiling)": 0.001},
                        missing={"pylibjpeg-rle": "not installed"},
                        goals=[{"goal": "open under 2 ms: 100,000 frames", "seconds": 0.0015, "target": 0.002}],
                    )
                ],
            )
        ]
    )
    text = tables.area_table(res.groups) + "\n\n" + tables.goal_table(res.goals)
    (tmp_path / "RESULTS.md").write_text(text)
    heads = [
        readme.Headline("RLE decode: {figure} imagecodecs on {group}", r"^rle decode", "imagecodecs"),
        readme.Headline("RLE decode in {figure}", r"^rle decode", "framecodec", cell="median"),
        readme.Headline("open: {figure}", r"^open under 2 ms", goal=True),
        readme.Headline("never written: {figure}", r"^rle decode", "pylibjpeg-rle"),
        readme.Headline("nor this: {figure}", r"^inflate", "zlib"),
    ]
    page = tmp_path / "README.md"
    page.write_text(f"# x\n\n## Performance\n\n{readme.BEGIN}\n- old\n{readme.END}\n\n## Next\n")
    missing = readme.update(page, tmp_path / "RESULTS.md", heads)
    assert missing == ["never written: {figure}", "nor this: {figure}"]
    assert page.read_text() == (
        f"# x\n\n## Performance\n\n{readme.BEGIN}\n- RLE decode: 3.05x imagecodecs on rle decode CT, 2.50:1\n"
        f"- RLE decode in 2.00 ms\n- open: 1.50 ms\n{readme.END}\n\n## Next\n"
    )
