"""Frames of a synthetic slide in the JPEG family (JPEG baseline, JPEG 2000, HTJ2K, JPEG-LS) by encoders
independent of framecodec, the reference decodes of the lossy ones, and what the header says about each
(Photometric Interpretation, Lossy Image Compression Method). See slides.py for the whole.

Encoders: Pillow (libjpeg-turbo) for JPEG baseline; pylibjpeg-openjpeg (OpenJPEG, pydicom's own JPEG 2000
encoder) for JPEG 2000; imagecodecs' ``htj2k_encode`` (OpenJPH) for HTJ2K of 8 and 16 bits, and OpenJPH's
``ojph_compress`` (Debian's openjph-tools) for 12-bit HTJ2K, the one encoder here that writes a precision other
than the array's (imagecodecs writes 16 for any uint16); pyjpegls (CharLS, pydicom's own JPEG-LS encoder) for
JPEG-LS, told Bits Stored (it would otherwise pick the precision from the largest value).

Reference decoders of the lossy syntaxes (``Slide.lossy``): Pillow for JPEG (libjpeg-turbo, as pydicom's
"pillow" plugin and wsidicom decode), pylibjpeg-openjpeg for JPEG 2000 and HTJ2K (pydicom's "pylibjpeg"
plugin), pyjpegls for JPEG-LS near-lossless (pydicom's "pyjpegls" plugin). Colour comes out RGB: Pillow converts
JPEG's YCbCr, OpenJPEG undoes the MCT (ICT / RCT) itself.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from typing import Any

import numpy as np
import numpy.typing as npt

from .dicom_bytes import (
    EXPLICIT,
    HTJ2K,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    JPEG_2000,
    JPEG_2000_LOSSLESS,
    JPEG_BASELINE,
    JPEG_LS_LOSSLESS,
    JPEG_LS_NEAR_LOSSLESS,
)

#: The JPEG family syntaxes the slides can be written in.
JPEG_FAMILY = (
    JPEG_BASELINE,
    JPEG_2000_LOSSLESS,
    JPEG_2000,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    HTJ2K,
    JPEG_LS_LOSSLESS,
    JPEG_LS_NEAR_LOSSLESS,
)
#: Written lossy (the reference pixels are the decoded frames): JPEG baseline, JPEG 2000 (.91) and HTJ2K (.203)
#: irreversible, JPEG-LS near-lossless.
LOSSY = frozenset({JPEG_BASELINE, JPEG_2000, HTJ2K, JPEG_LS_NEAR_LOSSLESS})
#: Syntaxes that take Bits Stored 12 or 16 (MONOCHROME2 only); JPEG baseline is 8-bit only, RLE and deflate here too.
DEEP = frozenset(
    {EXPLICIT, JPEG_2000_LOSSLESS, HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS}
)
#: Lossy Image Compression Method (0028,2114), PS3.3 C.7.6.1.1.5.1's defined terms.
LOSSY_METHOD = {
    JPEG_BASELINE: "ISO_10918_1",
    JPEG_2000: "ISO_15444_1",
    HTJ2K: "ISO_15444_15",
    JPEG_LS_NEAR_LOSSLESS: "ISO_14495_1",
}
JPEG_SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}  # Pillow's subsampling= values
_J2K = (JPEG_2000_LOSSLESS, JPEG_2000)
_HTJ2K = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)


def photometric_interpretation(spec: Any) -> str:
    """(0028,0004) as PS3.5 8.2 requires for the frames ``encode`` writes: MONOCHROME2 for grey; JPEG baseline
    YBR_FULL_422 when the chrominance is subsampled (4:2:2, and 4:2:0 too, as scanners label it and PS3.5 8.2.1
    allows) and YBR_FULL for 4:4:4 (8.2.1: Pillow writes JFIF, YCbCr); JPEG 2000 and HTJ2K YBR_RCT (reversible)
    or YBR_ICT (irreversible) with the multiple component transformation, RGB without it (8.2.4, 8.2.14);
    JPEG-LS RGB (8.2.3: no colour transformation)."""
    ts = spec.transfer_syntax
    if spec.samples == 1:
        return "MONOCHROME2"
    if ts == JPEG_BASELINE:
        return "YBR_FULL" if spec.jpeg_subsampling == "4:4:4" else "YBR_FULL_422"
    if ts in _J2K + _HTJ2K and spec.mct:
        return "YBR_ICT" if ts in LOSSY else "YBR_RCT"
    return "RGB"


def check(spec: Any) -> None:
    """Refuse a spec these encoders cannot write as asked."""
    ts = spec.transfer_syntax
    if spec.bits_stored not in (8, 12, 16):
        raise ValueError(f"bits_stored must be 8, 12 or 16, not {spec.bits_stored}")
    if spec.bits_stored != 8 and (spec.samples != 1 or ts not in DEEP):
        raise ValueError(
            "Bits Stored 12 and 16 are for MONOCHROME2 in the lossless JPEG 2000, HTJ2K and JPEG-LS "
            "syntaxes (and JPEG-LS near-lossless, and native)"
        )
    if ts == HTJ2K_LOSSLESS_RPCL and spec.bits_stored == 12:
        raise ValueError("12-bit HTJ2K is written by ojph_compress, which has no TLM markers: no .202 of 12 bits")
    if spec.jpeg_subsampling not in JPEG_SUBSAMPLING:
        raise ValueError(f"jpeg_subsampling must be one of {sorted(JPEG_SUBSAMPLING)}, not {spec.jpeg_subsampling!r}")


def encode(pixels: npt.NDArray[Any], spec: Any) -> bytes:
    """One frame (rows, columns[, 3]) as a ``spec.transfer_syntax`` codestream."""
    ts, bits, rgb = spec.transfer_syntax, spec.bits_stored, spec.samples == 3
    pixels = np.ascontiguousarray(pixels)
    if ts == JPEG_BASELINE:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(pixels, "RGB" if rgb else "L").save(
            buf, format="JPEG", quality=spec.jpeg_quality, subsampling=JPEG_SUBSAMPLING[spec.jpeg_subsampling]
        )
        return buf.getvalue()
    if ts in _J2K:
        from openjpeg.utils import encode_array

        ratios = [float(spec.j2k_ratio)] if ts in LOSSY else None
        # photometric_interpretation 1 (sRGB) lets OpenJPEG apply the MCT; 0 (unspecified) keeps the RGB as it is
        return bytes(
            encode_array(
                pixels,
                bits_stored=bits,
                photometric_interpretation=1 if rgb and spec.mct else 0,
                use_mct=bool(rgb and spec.mct),
                compression_ratios=ratios,
                codec_format=0,
            )
        )
    if ts in _HTJ2K:
        if bits == 12:
            return _ojph_compress(pixels, bits)
        import imagecodecs

        irreversible = ts in LOSSY
        return bytes(
            imagecodecs.htj2k_encode(
                pixels,
                level=spec.htj2k_qstep if irreversible else None,
                reversible=not irreversible,
                rgb=bool(rgb and spec.mct),
                tlm=ts == HTJ2K_LOSSLESS_RPCL,
            )
        )
    if ts in (JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS):
        import jpeg_ls

        rows, columns = pixels.shape[:2]
        near = spec.jpegls_near if ts == JPEG_LS_NEAR_LOSSLESS else 0
        data = pixels.astype("<u2" if bits > 8 else np.uint8).tobytes()
        return bytes(
            jpeg_ls.encode_buffer(
                data, rows, columns, spec.samples, bits, lossy_error=near, interleave_mode=2 if rgb else 0
            )
        )
    raise ValueError(f"no JPEG family encoder for transfer syntax {ts}")


def _ojph_compress(pixels: npt.NDArray[Any], bits: int) -> bytes:
    """Reversible HTJ2K of a grey frame of ``bits`` bits, by OpenJPH's command line (precision from the PGM's
    maximum value)."""
    tool = shutil.which("ojph_compress")
    if tool is None:
        raise RuntimeError("12-bit HTJ2K needs OpenJPH's ojph_compress (apt-get install openjph-tools)")
    rows, columns = pixels.shape
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.pgm"), os.path.join(tmp, "out.j2c")
        with open(src, "wb") as f:
            f.write(f"P5\n{columns} {rows}\n{(1 << bits) - 1}\n".encode() + pixels.astype(">u2").tobytes())
        subprocess.run(
            [tool, "-i", src, "-o", dst, "-reversible", "true", "-prog_order", "RPCL"], check=True, capture_output=True
        )
        with open(dst, "rb") as f:
            return f.read()


def decode(codestream: bytes, spec: Any) -> npt.NDArray[Any]:
    """The reference decode of one lossy frame (RGB for colour), by the library pydicom's plugin of that name uses:
    Pillow for JPEG, pylibjpeg-openjpeg for JPEG 2000 and HTJ2K, pyjpegls for JPEG-LS."""
    ts = spec.transfer_syntax
    if ts == JPEG_BASELINE:
        from PIL import Image

        with Image.open(io.BytesIO(codestream)) as im:
            return np.asarray(im)
    if ts in _J2K + _HTJ2K:
        from openjpeg.utils import decode as openjpeg_decode

        return np.asarray(openjpeg_decode(codestream))
    if ts in (JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS):
        import jpeg_ls

        return np.asarray(jpeg_ls.decode(np.frombuffer(codestream, np.uint8)))
    raise ValueError(f"no reference decoder for transfer syntax {ts}")
