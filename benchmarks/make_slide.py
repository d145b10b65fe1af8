"""``python -m benchmarks.make_slide OUT.dcm [--frames 100000] [--syntax jpeg] [--tiling sparse] ...``: write a
synthetic whole-slide image of many frames (framecodec._synthetic.slides) and say how long it took."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import real_data
from framecodec._synthetic.slides import SYNTAX_NAMES, TILED_FULL, TILED_SPARSE, many_frames_spec, write_slide


def main(argv: Sequence[str] | None = None) -> None:
    names = {v: k for k, v in SYNTAX_NAMES.items()}
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.make_slide", description="Write a synthetic whole-slide image of many frames."
    )
    p.add_argument("out", type=Path)
    p.add_argument("--frames", type=int, default=100_000)
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--syntax", choices=sorted(names), default="jpeg")
    p.add_argument("--tiling", choices=["full", "sparse"], default="full")
    p.add_argument("--offset-table", choices=["basic", "empty", "extended"], default="extended")
    p.add_argument("--mosaic", type=int, default=64, help="distinct tiles")
    p.add_argument("--mono", action="store_true")
    p.add_argument(
        "--bits",
        type=int,
        choices=[8, 12, 16],
        default=8,
        help="Bits Stored (12, 16: grey, lossless J2K, HTJ2K, JPEG-LS or explicit)",
    )
    p.add_argument("--jpeg-subsampling", choices=["4:2:2", "4:2:0", "4:4:4"], default="4:2:2")
    p.add_argument("--tissue", type=float, default=0.6, help="fraction of the distinct tiles that are tissue")
    p.add_argument("--flat-background", action="store_true", help="background tiles flat white (no noise)")
    p.add_argument(
        "--real-tissue", action="store_true", help="tissue tiles cropped from real images (benchmarks/real_data.py)"
    )
    args = p.parse_args(argv)
    spec = many_frames_spec(
        args.frames,
        args.tile,
        transfer_syntax=names[args.syntax],
        tiling=TILED_SPARSE if args.tiling == "sparse" else TILED_FULL,
        shuffle=args.tiling == "sparse",
        offset_table=args.offset_table,
        mosaic=args.mosaic,
        samples=1 if args.mono or args.bits > 8 else 3,
        tissue=args.tissue,
        bits_stored=args.bits,
        jpeg_subsampling=args.jpeg_subsampling,
        background_noise=1 if args.flat_background else 3,
        tissue_tiles=real_data.rgb_tiles if args.real_tissue else None,
    )
    t = time.perf_counter()
    slide = write_slide(args.out, spec)
    dt = time.perf_counter() - t
    size = slide.path.stat().st_size
    print(
        f"{slide.path}: {slide.number_of_frames:,} frames of {spec.tile_size[0]} x {spec.tile_size[1]}, "
        f"{spec.width:,} x {spec.height:,} pixels, {args.syntax}, {spec.tiling}; {size / 1e9:.2f} GB in {dt:.1f} s "
        f"({size / dt / 1e9:.2f} GB/s)"
    )


if __name__ == "__main__":
    main()
