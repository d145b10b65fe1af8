"""``framecodec info FILE...``: what a file's Pixel Data holds, read without decoding a pixel.

``FrameReader`` opens the file (its header and the frame table, over a memory map); tiled images add their
geometry (``FrameReader.geometry``). One block of text per file, or with ``--json`` one JSON array with an
object per file (a file that cannot be read: ``{"file": ..., "error": ...}``). A file cut short in its Pixel
Data is described with the frames that are whole (``whole_frames``, ``truncation``) and fails (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import add_storage_options, describe, report, storage_options

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from .._layout import Codec
    from ..reader import FrameReader

HELP = "show transfer syntax, frames, layout, offset table, tiling, sizes and ratio of DICOM files"
EXAMPLES = """examples:
  framecodec info seg.dcm
  framecodec info --json slide/*.dcm | jq '.[] | {file, frames, ratio}'
  framecodec info s3://bucket/slide.dcm -S anon=true     # reads the header only (a request or two)
"""

# What info shows of the header besides what FrameReader reads (Lossy Image Compression, modality).
_TAGS = [
    0x00080016,
    0x00080060,
    0x00209311,
    0x00280002,
    0x00280004,
    0x00280006,
    0x00280008,
    0x00280010,
    0x00280011,
    0x00280100,
    0x00280101,
    0x00280103,
    0x00282110,
    0x00282112,
    0x00282114,
    0x00480006,
    0x00480007,
    0x00480105,
    0x00480302,
    0x00480303,
]

#: How the frames were found in encapsulated Pixel Data (``FrameTable.source``), for people.
_SOURCES = {
    "extended": "Extended Offset Table",
    "basic": "Basic Offset Table",
    "one_per_frame": "empty Basic Offset Table, one fragment per frame",
    "single_frame": "empty Basic Offset Table, one frame",
    "markers": "empty Basic Offset Table, frames found by their JPEG / JPEG 2000 start markers",
    "walk": "empty Basic Offset Table, frames found by a walk of the items",
    "index": "empty Basic Offset Table, frames from the sidecar index",
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "info",
        help=HELP,
        description=HELP + ", without decoding any pixels.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="DICOM files, or their URLs (s3://, gs://, https://, ...)")
    p.add_argument("--json", action="store_true", help="print one JSON array, an object per file")
    add_storage_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    failed = False
    results: list[dict[str, Any]] = []
    for i, path in enumerate(args.files):
        try:
            result = describe_file(path, storage_options(args))
        except Exception as e:
            failed = True
            report(path, e)
            if args.json:
                results.append({"file": path, "error": describe(e)})
            continue
        if result["truncation"] is not None:  # shown, and reported: the file is damaged
            failed = True
            report(
                path,
                ValueError(
                    f"the file is truncated: {result['whole_frames']:,} of {result['frames']:,} "
                    f"frames are whole ({result['truncation']})"
                ),
            )
        if args.json:
            results.append(result)
        else:
            if i:
                print()
            print(format_text(result), flush=True)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    return 1 if failed else 0


def describe_file(path: str, storage_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything ``info`` reports of one file, as the JSON object it prints."""
    import io

    from pydicom import dcmread
    from pydicom.uid import UID

    from ..reader import FrameReader

    with FrameReader(path, storage_options=storage_options) as reader:
        remote = reader._remote
        with open(path, "rb") if remote is None else io.BytesIO(remote.header) as f:
            ds = dcmread(f, stop_before_pixels=True, force=True, specific_tags=_TAGS)
        ts = reader.transfer_syntax
        n = reader.number_of_frames
        shape, dtype = reader.shape, reader.dtype
        frame_bytes = int(np.prod(shape)) * dtype.itemsize
        table = reader.frame_table
        whole = reader.whole_frames
        if table is not None:
            compressed = int(table.frame_lengths.sum())  # of a truncated file: its whole frames'
            pixel_data: dict[str, Any] = {
                "encapsulated": True,
                "offset_table": {"extended": "extended", "basic": "basic"}.get(table.source, "empty"),
                "frames_found_by": table.source,
                "fragments": len(table.offsets),
            }
        elif remote is not None and remote.ranged:  # the frames' spans (their fragments are not read)
            about = remote.describe()
            compressed = about["compressed"]
            pixel_data = {
                "encapsulated": about["offset_table"] is not None,
                "offset_table": about["offset_table"],
                "frames_found_by": about["frames_found_by"],
                "fragments": None,
            }
        else:
            compressed = _native_length(remote.local_path or path if remote is not None else path, ds, n, shape)
            pixel_data = {"encapsulated": False, "offset_table": None, "frames_found_by": None, "fragments": None}
        decoded = n * frame_bytes
        deflated = ts == _DEFLATED
        # Native pixels are not compressed: no ratio (a ratio of about 1 would say nothing). Encapsulated: the whole
        # frames' decoded size over their codestreams' (all of them but in a truncated file).
        encapsulated = pixel_data["encapsulated"]
        ratio = round(whole * frame_bytes / compressed, 3) if encapsulated and compressed and whole else None
        sop_class = str(ds.get("SOPClassUID", "") or "")
        lossy = ds.get("LossyImageCompression")
        result: dict[str, Any] = {
            "file": path,
            "file_size": os.path.getsize(path) if remote is None else remote.ranges.size,
            "transfer_syntax": ts,
            "transfer_syntax_name": _uid_name(UID(ts)),
            "sop_class": sop_class or None,
            "sop_class_name": _uid_name(UID(sop_class)) if sop_class else None,
            "modality": str(ds.get("Modality", "") or "") or None,
            "frames": n,
            "whole_frames": whole,
            "truncation": reader.truncation,
            "rows": int(ds.get("Rows", 0) or 0),
            "columns": int(ds.get("Columns", 0) or 0),
            "samples_per_pixel": int(ds.get("SamplesPerPixel", 0) or 0),
            "bits_allocated": int(ds.get("BitsAllocated", 0) or 0),
            "bits_stored": int(ds.get("BitsStored", 0) or 0),
            "pixel_representation": int(ds.get("PixelRepresentation", 0) or 0),
            "photometric_interpretation": str(ds.get("PhotometricInterpretation", "") or "").strip() or None,
            "planar_configuration": int(ds.PlanarConfiguration) if ds.get("PlanarConfiguration") is not None else None,
            "frame_shape": list(shape),
            "dtype": dtype.str,
            **pixel_data,
            "compressed_bytes": compressed,
            "decoded_bytes": decoded,
            "frame_bytes": frame_bytes,
            "ratio": ratio,
            "lossy_image_compression": str(lossy) if lossy is not None else None,
            "tiling": _tiling(reader, ds),
            "inflate": _inflate() if deflated else None,
            "decoder": "pydicom (Float Pixel Data)"
            if reader.dtype.kind == "f"
            else _decoder(reader.codec, ts, int(ds.get("BitsStored", 0) or 0)),
        }
    return result


def _decoder(codec: Codec | None, ts: str, bits_stored: int) -> str:
    """What decodes the frames: framecodec's engine (and the library of its image codec), or pydicom and why."""
    from .._layout import IMAGE_CODECS, codec_library

    if codec == "deflate":
        return f"framecodec ({_inflate()})"
    if codec is not None and codec in IMAGE_CODECS.values():
        return f"framecodec ({codec_library(codec)})"
    if codec is not None:
        return "framecodec"
    image = IMAGE_CODECS.get(ts)
    if image is None:
        return "pydicom (framecodec has no decoder for this transfer syntax)"
    if not codec_library(image):
        return f"pydicom (framecodec was built without a {image} library; framecodec --version lists them)"
    if image == "jpeg" and bits_stored > 8:
        return "pydicom (framecodec decodes 8-bit JPEG only)"
    return "pydicom"


#: Deflated Image Frame Compression (PS3.5 8.2.16): the syntax whose decoder depends on the build's backends.
_DEFLATED = "1.2.840.10008.1.2.8.1"
#: Deflated Explicit VR Little Endian (PS3.5 A.5): the whole data set is deflated, its Pixel Data native.
_DEFLATED_DATA_SET = "1.2.840.10008.1.2.1.99"


def _inflate() -> str:
    """The backend that would inflate the frames, with its version: ``"libdeflate 1.14"``."""
    from .._backends import backends

    b = backends()
    return f"{b['inflate']} {b[b['inflate']]}"


def _uid_name(uid: Any) -> str | None:
    name = str(uid.name)
    return None if name == str(uid) else name


def _native_length(path: str, ds: Dataset, n: int, shape: tuple[int, ...]) -> int:
    """The native Pixel Data value's length, from the file; the frames' bytes if it cannot be found (Explicit
    VR Big Endian, which locate_pixel_data does not read). Encapsulated Pixel Data without a frame table (a
    syntax pydicom decodes, whose fragments do not make the frames): the error that says why."""
    from ..encaps import locate_pixel_data

    try:
        loc = locate_pixel_data(path)
    except ValueError:
        loc = None
    if loc is not None and loc.encapsulated:
        from .._core import MappedFile

        loc.frame_table(MappedFile(path), n)  # raises EncapsulationError naming the frame and the cause
        raise ValueError("the encapsulated Pixel Data cannot be split into frames")
    if loc is not None and loc.length is not None:
        return loc.length
    pixels = n * int(np.prod(shape))
    bits = int(ds.get("BitsAllocated", 8) or 8)
    return (pixels * bits + 7) // 8


def _tiling(reader: FrameReader, ds: Dataset) -> dict[str, Any] | None:
    """The geometry of a tiled image (Total Pixel Matrix Columns present), else None. A geometry that cannot
    be worked out (attributes that disagree with each other or with the frames) is reported in ``error``,
    with what the header says."""
    if ds.get("TotalPixelMatrixColumns") is None:
        return None
    organization = str(ds.get("DimensionOrganizationType", "") or "").strip().upper() or None
    rows, columns = reader.shape[:2]
    total_columns = int(ds.TotalPixelMatrixColumns)
    total_rows = int(ds.get("TotalPixelMatrixRows", 0) or 0)
    paths_in_header = (
        int(ds.get("NumberOfOpticalPaths", 0) or 0) or len(ds.get("OpticalPathSequence", None) or []) or None
    )
    full = organization == "TILED_FULL" and rows > 0 and columns > 0
    info: dict[str, Any] = {
        "dimension_organization": organization,
        "total_columns": total_columns,
        "total_rows": total_rows,
        "tile_columns": columns,
        "tile_rows": rows,
        "tiles": reader.number_of_frames,
        "tiles_across": -(-total_columns // columns) if full else None,  # TILED_FULL's grid
        "tiles_down": -(-total_rows // rows) if full else None,
        "focal_planes": int(ds.get("TotalPixelMatrixFocalPlanes", 0) or 0) or None,
        "optical_paths": paths_in_header,
        "optical_path_identifiers": None,
        "error": None,
    }
    try:
        geo = reader.geometry
    except ValueError as e:
        info["error"] = str(e)
        return info
    info["dimension_organization"] = geo.dimension_organization
    info["focal_planes"] = len(geo.focal_plane_z)
    info["optical_paths"] = len(geo.optical_path_identifiers)
    info["optical_path_identifiers"] = list(geo.optical_path_identifiers)
    return info


# --- text ----------------------------------------------------------------------------------------------


def format_text(r: dict[str, Any]) -> str:
    """The block of text ``info`` prints for one file."""
    lines = [r["file"]]

    def add(label: str, value: str) -> None:
        lines.append(f"  {label:<18}{value}")

    add("transfer syntax", _named(r["transfer_syntax"], r["transfer_syntax_name"]))
    if r["sop_class"]:
        modality = f" ({r['modality']})" if r["modality"] else ""
        add("SOP class", _named(r["sop_class"], r["sop_class_name"]) + modality)
    if r["truncation"] is None:
        add("frames", f"{r['frames']:,}")
    else:  # what is left of a file cut short
        add("frames", f"{r['whole_frames']:,} of {r['frames']:,} whole: the file is truncated; {r['truncation']}")
    add("frame", _layout(r))
    if r["encapsulated"]:
        table = _SOURCES.get(r["frames_found_by"], r["frames_found_by"])
        count = r["fragments"]  # None for a URL: its fragments are not read
        items = "" if count is None else f"{count:,} fragment{'s' * (count != 1)}; "
        add("pixel data", f"encapsulated, {items}{table}")
    elif r["transfer_syntax"] == _DEFLATED_DATA_SET:
        add("pixel data", "native, in a deflated data set (PS3.5 A.5)")
    else:
        add("pixel data", "native (not compressed)")
    tiling = r["tiling"]
    if tiling is not None:
        add("tiling", _tiling_text(tiling))
    if r["encapsulated"]:
        whole = f"the {r['whole_frames']:,} whole frames' " if r["truncation"] is not None else ""
        add("compressed", f"{r['compressed_bytes']:,} bytes ({whole}Pixel Data; file {r['file_size']:,} bytes)")
    else:
        add("stored", f"{r['compressed_bytes']:,} bytes (Pixel Data; file {r['file_size']:,} bytes)")
    add("decoded", f"{r['decoded_bytes']:,} bytes ({r['frames']:,} x {r['frame_bytes']:,})")
    if r["encapsulated"]:  # native pixels have no compression ratio
        add("ratio", f"{r['ratio']:,.2f}:1" if r["ratio"] is not None else "-")
    add("decoder", r["decoder"])
    if r["inflate"] is not None:
        add(
            "inflate",
            r["inflate"] + (" (FRAMECODEC_INFLATE=zlib forces zlib)" if r["inflate"].startswith("libdeflate") else ""),
        )
    if r["lossy_image_compression"] is not None:
        add("lossy", f"Lossy Image Compression {r['lossy_image_compression']}")
    return "\n".join(lines)


def _named(uid: str, name: str | None) -> str:
    return f"{uid} {name}" if name else uid


def _layout(r: dict[str, Any]) -> str:
    samples = r["samples_per_pixel"]
    text = f"{r['rows']} rows x {r['columns']} columns"
    if samples != 1:
        text += f" x {samples} samples"
    if np.dtype(r["dtype"]).kind == "f":  # Float or Double Float Pixel Data: no Bits Stored, no sign
        text += f", {np.dtype(r['dtype']).itemsize * 8}-bit float, {r['photometric_interpretation']}"
        return f"{text} -> {np.dtype(r['dtype']).name} {tuple(r['frame_shape'])}"
    stored = f", {r['bits_stored']} stored" if r["bits_stored"] != r["bits_allocated"] else ""
    sign = "signed" if r["pixel_representation"] else "unsigned"
    bits = f"{r['bits_allocated']} bit{'s' * (r['bits_allocated'] != 1)} allocated"
    text += f", {bits}{stored}, {sign}, {r['photometric_interpretation']}"
    if samples != 1 and r["planar_configuration"] == 1:
        text += ", planar"
    return f"{text} -> {np.dtype(r['dtype']).name} {tuple(r['frame_shape'])}"


def _tiling_text(t: dict[str, Any]) -> str:
    parts = [
        t["dimension_organization"] or "no Dimension Organization Type",
        f"total pixel matrix {t['total_columns']:,} x {t['total_rows']:,}",
        f"{t['tiles']:,} tiles of {t['tile_columns']} x {t['tile_rows']}"
        + (f" ({t['tiles_across']} across, {t['tiles_down']} down)" if t["tiles_across"] else ""),
    ]
    for key, word in (("focal_planes", "focal plane"), ("optical_paths", "optical path")):
        if t[key] is not None:
            parts.append(f"{t[key]} {word}{'s' * (t[key] != 1)}")
    text = ", ".join(parts)
    if t["error"]:
        text += f"; geometry: {t['error']}"
    return text
