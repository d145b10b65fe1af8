"""The scaling plots (matplotlib, the ``bench`` extra), written as PNG next to RESULTS.md: time against frame
count (table building, reader open), speed-up against threads beside the embarrassingly parallel reference,
and decoded MB/s per implementation and data kind."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from .results import Group, Point, natural


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


PEERS = ("pydicom", "wsidicom", "zlib", "numpy")


def _series(points: list[Point], plot: str) -> dict[str, list[Point]]:
    out: dict[str, list[Point]] = defaultdict(list)
    main = [p for p in points if p.plot == plot and not p.environment]  # one run's points (not pydicom 3.1's too)
    for p in main or [p for p in points if p.plot == plot]:
        out[p.series].append(p)
    return {k: sorted(v, key=lambda p: p.x) for k, v in sorted(out.items())}


def frames_plot(points: list[Point], path: Path) -> Path | None:
    series = _series(points, "frames")
    if not series:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    for name, pts in series.items():
        peer = name.startswith(PEERS)  # the peers dashed, framecodec's series solid
        ax.plot(
            [p.x for p in pts],
            [p.seconds * 1e3 for p in pts],
            marker="o",
            label=name,
            linestyle="--" if peer else "-",
            linewidth=1.2 if peer else 2.2,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("frames in the file")
    ax.set_ylabel("time (ms, median)")
    ax.set_title("Frame table and reader open against frame count")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def threads_plot(points: list[Point], path: Path) -> Path | None:
    """Speed-up against threads beside the reference (the RGB deflate sweep) and, when measured, a second panel:
    each syntax's speed-up at all cores beside the reference's in the same rounds (bench_pipeline's
    test_threads_syntax, series "<file>" and "<file> [reference]")."""
    series, syntaxes = _series(points, "threads"), _series(points, "threads by syntax")
    if not series and not syntaxes:
        return None
    plt = _pyplot()
    panels = [p for p in (series, syntaxes) if p]
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4.5 + (1.5 if syntaxes else 0)), squeeze=False)
    if series:
        _lines(axes[0][0], series)
    if syntaxes:
        _bars(axes[0][-1], syntaxes)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _speedup(pts: list[Point]) -> float | None:
    one = next((p.seconds for p in pts if p.x == 1), None)
    top = max(pts, key=lambda p: p.x)
    return one / top.seconds if one is not None and top.x > 1 else None


def _lines(ax: Any, series: dict[str, list[Point]]) -> None:
    top = 1.0
    for name, pts in series.items():
        one = next((p.seconds for p in pts if p.x == 1), None)
        if one is None:
            continue
        xs = [p.x for p in pts]
        peer = name.startswith(PEERS)
        ax.plot(xs, [one / p.seconds for p in pts], marker="o", label=name, linestyle="--" if peer else "-")
        top = max(top, *xs)
    ax.plot([1, top], [1, top], linestyle="--", color="grey", label="ideal (linear)")
    ax.set_xlabel("threads")
    ax.set_ylabel("speed-up over 1 thread (median time ratio)")
    ax.set_title("Batch decode against threads, beside the embarrassingly parallel reference")
    ax.set_xticks(range(1, int(top) + 1))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def _bars(ax: Any, series: dict[str, list[Point]]) -> None:
    files = [name for name in series if not name.endswith("]")]
    refs = {name: next((r for r in series if r.startswith(name + " [")), "") for name in files}
    ys = range(len(files))
    ours = [_speedup(series[f]) or 0 for f in files]
    theirs = [_speedup(series[refs[f]]) or 0 if refs[f] else 0 for f in files]
    ax.barh([y - 0.2 for y in ys], ours, height=0.4, label="framecodec.pixel_array")
    ax.barh([y + 0.2 for y in ys], theirs, height=0.4, label="zlib ThreadPoolExecutor (reference, same rounds)")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(files, fontsize=7)
    ax.invert_yaxis()
    top = max((p.x for pts in series.values() for p in pts), default=2)
    ax.axvline(top, linestyle="--", color="grey", label="ideal (linear)")
    ax.axvline(1, color="black", linewidth=0.8)
    ax.set_xlabel(f"speed-up of {top:g} threads over 1 (median time ratio)")
    ax.set_title("Every syntax: speed-up beside the reference's")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")


def throughput_plot(groups: list[Group], path: Path, title: str) -> Path | None:
    """Decoded MB/s of each implementation in each group (a data kind): grouped horizontal bars."""
    groups = [g for g in sorted(groups, key=lambda g: natural(g.name)) if g.nbytes and g.medians]
    if not groups:
        return None
    impls = sorted({i for g in groups for i in g.medians}, key=lambda i: (not i.startswith("framecodec"), i))
    plt = _pyplot()
    height = 0.8 / len(impls)
    fig, ax = plt.subplots(figsize=(8, 1.0 + 0.45 * len(groups) * len(impls) ** 0.5 + 0.2 * len(impls)))
    for k, impl in enumerate(impls):
        ys = [i + k * height for i in range(len(groups))]
        mbs = [g.nbytes / g.medians[impl] / 1e6 if impl in g.medians else 0 for g in groups]
        ax.barh(ys, mbs, height=height, label=impl)
        for y, v in zip(ys, mbs):
            if v:
                ax.text(v * 1.03, y, f"{v:,.0f}", va="center", fontsize=6)  # a log axis hides the values
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(groups))])
    ax.set_yticklabels([g.name for g in groups], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("decoded MB/s (median; log scale)")
    ax.set_title(title)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
