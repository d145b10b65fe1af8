"""What the figures were measured on: the machine, and the version of every library that was timed."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import date
from importlib import metadata

#: Every distribution the benchmarks time or use, and what it is there for. One not installed is listed as such.
LIBRARIES = {
    "numpy": "arrays; packbits/unpackbits peer",
    "pydicom": "data sets; its RLE codec, encaps and plugins as peers",
    "pylibjpeg": "pydicom's plugin host",
    "pylibjpeg-rle": "RLE peer (and its pydicom plugin)",
    "imagecodecs": "RLE peer; JPEG family frame decoders (libjpeg-turbo, OpenJPEG, OpenJPH, CharLS)",
    "Pillow": "JPEG peer (pydicom's pillow plugin); the JPEG slides' encoder",
    "pylibjpeg-openjpeg": "JPEG 2000 and HTJ2K peer (pydicom's pylibjpeg plugin); the JPEG 2000 encoder",
    "pylibjpeg-libjpeg": "pydicom's pylibjpeg plugin for JPEG and JPEG-LS",
    "pyjpegls": "JPEG-LS peer (pydicom's pyjpegls plugin); the JPEG-LS encoder",
    "openslide-python": "whole-slide peer (OpenSlide)",
    "openslide-bin": "OpenSlide's library",
    "pydicom-data": "real CT slices for the JPEG family files",
    "isal": "deflate peer (ISA-L)",
    "zlib-ng": "deflate peer",
    "deflate": "deflate peer (libdeflate, bundled)",
    "wsidicom": "whole-slide peer",
    "highdicom": "whole-slide reference; Segmentation writer peer (bench_transcode); remote peer (bench_remote)",
    "s3fs": "bench_remote: every implementation's S3 client (fsspec)",
    "moto": "bench_remote: the S3 server",
    "scikit-image": "real images for bench_transcode's segmentation masks (skimage.data)",
    "dask": "framecodec.dask",
    "distributed": "framecodec.dask's cluster",
    "matplotlib": "the plots",
    "pytest-benchmark": "timing",
}


def versions() -> list[tuple[str, str, str]]:
    out = []
    for name, why in LIBRARIES.items():
        try:
            out.append((name, metadata.version(name), why))
        except metadata.PackageNotFoundError:
            out.append((name, "**not installed**", why))
    return out


def framecodec_line() -> str:
    import framecodec
    from framecodec._backends import describe

    return f"framecodec {framecodec.__version__}: {describe()}"


def other_pydicom(python: str | None) -> str:
    """The pydicom version of the second environment (pydicom 3.1), or why there is none."""
    if not python:
        return "not run (no pydicom 3.1 environment: pass --pydicom31 PYTHON)"
    try:
        return subprocess.run(
            [python, "-c", "import pydicom; print(pydicom.__version__)"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"unavailable ({e})"


def cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gb() -> str:
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        return f"{kb / 2**20:.0f} GB"
    except (OSError, ValueError, IndexError):
        return "?"


def describe_machine(pydicom31: str | None) -> str:
    lines = [
        f"- date: {date.today().isoformat()}",
        f"- machine: {cpu()}, {os.cpu_count()} logical cores, {memory_gb()} RAM; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}",
        f"- {framecodec_line()}",
        f"- pydicom 3.1 environment: {other_pydicom(pydicom31)}",
        "",
        "| library | version | used for |",
        "|---|---|---|",
    ]
    lines += [f"| {n} | {v} | {why} |" for n, v, why in versions()]
    return "\n".join(lines)
