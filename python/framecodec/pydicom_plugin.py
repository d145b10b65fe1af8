"""pydicom decoding and encoding plugins named ``framecodec``, for pydicom 3.0.x and 3.1.

Transfer syntaxes: RLE Lossless, Deflated Image Frame Compression and Encapsulated Uncompressed Explicit VR
Little Endian (decoding and encoding), and the JPEG family this build has a codec for (decoding only: JPEG
8-bit, JPEG-LS, JPEG 2000, HTJ2K; see docs/jpeg-family.md, also for why ours goes first for lossy JPEG too).
``register()`` (run by ``import framecodec``) adds the plugins to pydicom's decoders and
encoders and puts them first; ``unregister()`` removes them and everything else framecodec added to
pydicom, which restores pydicom's own plugin order. The touches of pydicom internals are all in
``framecodec._pydicom_compat``.

Plugin options (pass them as keyword arguments to ``pixel_array``, ``ds.compress``, ...):

- ``rle_segment_order``: ``">"`` (default, conformant) or ``"<"`` for old files that store the least
  significant byte plane first (pydicom's own option).
- ``deflate_level``: the compression level for Deflated Image Frame Compression, -1 (the default, 6) or 0-9
  with zlib, 0-12 with libdeflate. pydicom 3.1 names no such option (its encoder always uses zlib's
  default); framecodec follows pydicom's naming of codec options (``jls_error``, ``j2k_cr``,
  ``rle_segment_order``).
- ``deflate_backend``: ``"zlib"`` (default: frames byte-identical to pydicom 3.1's encoder, which is Python's
  zlib) or ``"libdeflate"`` (faster, and smaller at levels 10-12; needs a build with libdeflate). Decoding
  takes the default of ``framecodec.backends()``.

What the decoders return for Bits Allocated 1 (one 0/1 byte per pixel in both cases):

- pydicom 3.1: unpacked frames with the frame option ``bits_allocated`` 8, the contract pydicom's own RLE
  decoder uses; ``as_buffer`` / ``iter_buffer`` / ``decompress`` pack them again themselves.
- pydicom 3.0.x: unpacked frames, which is what its ``as_array`` / ``iter_array`` expect (3.0.x has no frame
  options and no bit-packed encapsulated frames).
"""

from __future__ import annotations

import threading
import zlib
from typing import Any

import numpy as np
from pydicom.pixels.common import CoderBase, RunnerBase
from pydicom.pixels.decoders.base import DecodeRunner
from pydicom.pixels.encoders.base import EncodeRunner
from pydicom.uid import UID

from . import _pydicom_compat as _compat
from ._core import DecodeError, deflate, libdeflate_version, pack_bits, rle_decode, rle_encode, unpack_bits
from ._core import decode_frame as _decode_one
from ._layout import IMAGE_CODECS, Codec, codec_library

#: RLE Lossless (PS3.5 Annex G).
RLELossless = UID("1.2.840.10008.1.2.5")
#: Deflated Image Frame Compression (PS3.5 8.2.16, A.4.13); pydicom 3.0.x has no constant for it.
DeflatedImageFrameCompression = UID("1.2.840.10008.1.2.8.1")
#: Encapsulated Uncompressed Explicit VR Little Endian (PS3.5 A.4.11); no pydicom version has a constant.
EncapsulatedUncompressedExplicitVRLittleEndian = UID("1.2.840.10008.1.2.1.98")

#: The plugin's label in pydicom (``decoding_plugin="framecodec"``, ``encoding_plugin="framecodec"``).
PLUGIN_NAME = "framecodec"

UIDS = (RLELossless, DeflatedImageFrameCompression, EncapsulatedUncompressedExplicitVRLittleEndian)

#: The JPEG family this build decodes (JPEG 8-bit, JPEG-LS, JPEG 2000, HTJ2K: each when its library was found),
#: decoding only. 12-bit JPEG frames are refused, so pydicom goes on to its next plugin.
IMAGE_UIDS = tuple(UID(uid) for uid, codec in IMAGE_CODECS.items() if codec_library(codec))

#: Where ours is tried after pydicom's own plugins: JPEG-LS, whose values are the same whoever decodes them, and
#: which Debian's CharLS 2.4.1 (built with its assertions on) decodes 1.4-2.5x slower than pyjpegls' CharLS
#: (benchmarks/RESULTS.md, jpeg_family). framecodec.pixel_array still decodes JPEG-LS in the engine, on every core.
_LAST = frozenset({"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"})

# pydicom's plugin interface: {UID: missing dependencies}; framecodec needs nothing beyond itself.
DECODER_DEPENDENCIES: dict[UID, tuple[str, ...]] = {uid: () for uid in UIDS + IMAGE_UIDS}
ENCODER_DEPENDENCIES: dict[UID, tuple[str, ...]] = {uid: () for uid in UIDS}

_NAMES = {
    RLELossless: "RLE Lossless",
    DeflatedImageFrameCompression: "Deflated Image Frame Compression",
    EncapsulatedUncompressedExplicitVRLittleEndian: "Encapsulated Uncompressed Explicit VR Little Endian",
}


def is_available(uid: str) -> bool:
    """True if framecodec can decode pixel data of transfer syntax ``uid`` (and encode it, but for the JPEG
    family)."""
    return uid in DECODER_DEPENDENCIES


# --- helpers -------------------------------------------------------------------------------------------


def _frame_index(runner: RunnerBase) -> int | None:
    """The index of the frame being decoded or encoded: pydicom 3.1's ``runner.index``; 3.0.x has none."""
    try:
        return int(getattr(runner, "index"))  # noqa: B009 - 3.1's attribute: 3.0's RunnerBase (mypy) has none
    except (AttributeError, ValueError):
        return None


def _set_frame_option(runner: RunnerBase, index: int | None, name: str, value: object) -> None:
    """pydicom 3.1's per-frame option; a no-op on 3.0.x, which has none."""
    if _compat.HAS_FRAME_OPTIONS and index is not None:
        getattr(runner, "set_frame_option")(index, name, value)  # noqa: B009 - 3.1 only, as above


def _get_frame_option(runner: RunnerBase, index: int | None, name: str) -> object:
    if _compat.HAS_FRAME_OPTIONS and index is not None:
        value: object = getattr(runner, "get_frame_option")(index, name, None)  # noqa: B009 - 3.1 only, as above
        return value
    return None


def _where(runner: RunnerBase, index: int | None) -> str:
    frames = runner.number_of_frames
    frame = f"frame {index}" if index is not None else "a frame"
    if index is not None and frames > 1:
        frame += f" of {frames}"
    return f"{_NAMES.get(runner.transfer_syntax, str(runner.transfer_syntax))}, {frame}"


def _bytes_per_sample(bits_allocated: int) -> int:
    if bits_allocated != 1 and (bits_allocated <= 0 or bits_allocated % 8):
        raise ValueError(f"Bits Allocated {bits_allocated} is not 1 or a multiple of 8")
    return max(1, bits_allocated // 8)


# --- decoding ------------------------------------------------------------------------------------------


def decode_frame(src: bytes, runner: DecodeRunner) -> bytearray:
    """pydicom decoding plugin: decode one frame of ``src`` as ``runner`` describes it.

    Returns native little-endian pixel bytes in a new ``bytearray`` (writeable, so pydicom need not copy
    it). Raises ``framecodec.DecodeError`` naming the transfer syntax and, on pydicom 3.1, the frame index
    when the frame is corrupt or decodes to more or fewer bytes than the image needs.
    """
    index = _frame_index(runner)
    tsyntax = runner.transfer_syntax
    try:
        if tsyntax == RLELossless:
            frame = _decode_rle(src, runner, index)
        elif tsyntax == DeflatedImageFrameCompression:
            frame = _decode_deflated(src, runner, index)
        elif tsyntax == EncapsulatedUncompressedExplicitVRLittleEndian:
            frame = _decode_uncompressed(src, runner, index)
        elif tsyntax in IMAGE_UIDS:
            frame = _decode_image(src, runner, index, IMAGE_CODECS[tsyntax])
        else:
            raise ValueError(f"framecodec has no decoder for '{tsyntax.name}'")
    except ValueError as exc:  # DecodeError is a ValueError
        raise DecodeError(f"{_where(runner, index)}: {exc}") from exc
    _set_frame_option(runner, index, "decoding_plugin", PLUGIN_NAME)
    return frame


def _decode_rle(src: bytes, runner: DecodeRunner, index: int | None) -> bytearray:
    rows, columns, spp, bits = runner.rows, runner.columns, runner.samples_per_pixel, runner.bits_allocated
    order = runner.get_option("rle_segment_order", ">")
    if order not in (">", "<"):
        raise ValueError(f"'rle_segment_order' must be '>' or '<', not {order!r}")
    # pydicom 3.1 reshapes each frame by its own frame options, so the frame stays interleaved (no
    # transpose later). 3.0.x reshapes all frames at the end by one runner-wide planar configuration, and
    # its other RLE plugins (pydicom, pylibjpeg) return planar frames and say so: a frame that only they
    # can decode must not change the layout of frames decoded here, so on 3.0.x frames are planar too.
    planar = spp > 1 and not _compat.HAS_FRAME_OPTIONS
    out = bytearray(rows * columns * spp * _bytes_per_sample(bits))
    rle_decode(src, rows, columns, spp, bits, out=out, segment_order=order, planar=planar)
    if spp > 1:
        if _compat.HAS_FRAME_OPTIONS:
            _set_frame_option(runner, index, "planar_configuration", 0)
        else:
            runner.set_option("planar_configuration", 1)
    if bits == 1:  # rle_decode gives one byte per pixel: say so (3.1), as pydicom's RLE decoder does
        _set_frame_option(runner, index, "bits_allocated", 8)
    return out


def _decode_deflated(src: bytes, runner: DecodeRunner, index: int | None) -> bytearray:
    samples = runner.rows * runner.columns * runner.samples_per_pixel
    bits = runner.bits_allocated
    out = bytearray(samples * _bytes_per_sample(bits))
    # 1-bit frames are bit-packed, each on a byte boundary (PS3.5 8.2.16): decode_frame inflates and
    # unpacks them in one pass, through a cache-sized window.
    _decode_one(src, "deflate", runner.rows, runner.columns, runner.samples_per_pixel, bits, out=out)
    if bits == 1:
        _set_frame_option(runner, index, "bits_allocated", 8)
    return out


def _decode_uncompressed(src: bytes, runner: DecodeRunner, index: int | None) -> bytearray:
    samples = runner.rows * runner.columns * runner.samples_per_pixel
    bits = runner.bits_allocated
    size = (samples + 7) // 8 if bits == 1 else samples * _bytes_per_sample(bits)
    # One fragment per frame, the native frame padded to even length (PS3.5 A.4.11).
    if len(src) != size + size % 2 and len(src) != size:
        raise DecodeError(f"the fragment has {len(src)} bytes but the frame needs {size}")
    if bits == 1:
        out = bytearray(samples)
        unpack_bits(src, samples, out=out)
        _set_frame_option(runner, index, "bits_allocated", 8)
        return out
    return bytearray(memoryview(src)[:size])


def _decode_image(src: bytes, runner: DecodeRunner, index: int | None, codec: Codec) -> bytearray:
    """A JPEG, JPEG-LS, JPEG 2000 or HTJ2K frame by the engine's codec, with the values pydicom's own plugins
    give (J2K and JPEG-LS sign and precision corrections; JPEG YCbCr converted by libjpeg-turbo, as Pillow does
    under pydicom 3.1)."""
    rows, columns, spp, bits = runner.rows, runner.columns, runner.samples_per_pixel, runner.bits_allocated
    if codec == "jpeg" and (bits != 8 or runner.bits_stored != 8):
        raise ValueError("framecodec decodes 8-bit JPEG only")  # pydicom tries its next plugin
    if bits not in (8, 16, 32):
        raise ValueError(f"Bits Allocated {bits} is not decoded by framecodec's {codec} decoder")
    # The photometric interpretation pydicom has conformed to the codestream's markers (3.1: per frame).
    pi = str(_get_frame_option(runner, index, "photometric_interpretation") or runner.photometric_interpretation)
    ybr = pi.startswith("YBR")
    # pydicom 3.1 has the decoder convert JPEG's YCbCr (option as_rgb), as its Pillow plugin has libjpeg-turbo do;
    # 3.0.x tells plugins nothing of raw=, takes the stored components and converts them itself (numpy).
    raw = not (_compat.HAS_FRAME_OPTIONS and runner.get_option("as_rgb", False))
    out = bytearray(rows * columns * spp * (bits // 8))
    _decode_one(
        src,
        codec,
        rows,
        columns,
        spp,
        bits,
        out=out,
        bits_stored=runner.bits_stored,
        signed=runner.pixel_representation == 1,
        ybr=ybr,
        raw=raw,
    )
    if codec == "jpeg" and spp == 3 and ybr and not raw:  # libjpeg-turbo converted to RGB: pydicom must not
        _set_frame_option(runner, index, "photometric_interpretation", "RGB")
    if spp > 1:  # the codecs interleave samples, whatever the codestream's interleave mode
        if _compat.HAS_FRAME_OPTIONS:
            _set_frame_option(runner, index, "planar_configuration", 0)
        elif runner.planar_configuration == 1:  # 3.0.x reshapes every frame by the data set's value
            planes = np.frombuffer(out, np.uint8).reshape(rows * columns, spp, bits // 8).transpose(1, 0, 2)
            out = bytearray(planes.tobytes())
    return out


# --- encoding ------------------------------------------------------------------------------------------


def encode_frame(src: bytes, runner: EncodeRunner) -> bytes:
    """pydicom encoding plugin: encode one frame of native little-endian pixels as ``runner`` describes.

    RLE Lossless: never larger than pydicom's own encoder, and decodes to the same pixels. Deflated Image
    Frame Compression: byte-identical to pydicom 3.1's encoder at the same level (option
    ``deflate_level``); 1-bit frames are bit-packed first. Encapsulated Uncompressed: the native frame
    (1-bit frames bit-packed). pydicom pads every fragment to even length when it encapsulates.
    """
    index = _frame_index(runner)
    _set_frame_option(runner, index, "encoding_plugin", PLUGIN_NAME)
    if runner.get_option("byteorder", "<") != "<":
        raise ValueError("framecodec encodes little-endian pixel data only (option byteorder '<')")
    tsyntax = runner.transfer_syntax
    if runner.bits_allocated == 1:
        packed = _one_bit_is_packed(src, runner, index)
        if tsyntax == RLELossless:
            _set_frame_option(runner, index, "bits_allocated", 8)  # as pydicom's RLE encoder: one byte/pixel
            return rle_encode(src, runner.rows, runner.columns, runner.samples_per_pixel, 1, packed=packed)
        data: Any = src if packed else pack_bits(src)
        _set_frame_option(runner, index, "bits_allocated", 1)
    else:
        data = _native_frame(src, runner, index, interleaved=tsyntax == RLELossless)
        if tsyntax == RLELossless:
            return rle_encode(data, runner.rows, runner.columns, runner.samples_per_pixel, runner.bits_allocated)

    if tsyntax == DeflatedImageFrameCompression:
        return _deflate(data, runner)
    if tsyntax == EncapsulatedUncompressedExplicitVRLittleEndian:
        return bytes(data)
    raise ValueError(f"framecodec has no encoder for '{tsyntax.name}'")


def _deflate(data: Any, runner: EncodeRunner) -> bytes:
    backend = runner.get_option("deflate_backend", "zlib")
    if backend not in ("zlib", "libdeflate"):
        raise ValueError(f"'deflate_backend' must be 'zlib' or 'libdeflate', not {backend!r}")
    top = 9 if backend == "zlib" else 12
    level = runner.get_option("deflate_level", -1)
    if isinstance(level, bool) or not isinstance(level, int) or not -1 <= level <= top:
        raise ValueError(f"'deflate_level' must be an int from -1 to {top} with {backend}, not {level!r}")
    if backend == "libdeflate":
        if libdeflate_version is None:
            raise ValueError("'deflate_backend' is 'libdeflate' but framecodec was built without libdeflate")
        return deflate(data, level, "libdeflate")
    if level == 0:
        # Stored blocks: their boundaries follow the output buffer sizes the caller hands zlib, so only
        # Python's zlib calling pattern gives pydicom's bytes. There is no compression work to speed up.
        enc = zlib.compressobj(0, wbits=-zlib.MAX_WBITS)
        return enc.compress(data) + enc.flush()
    return deflate(data, level)


def _one_bit_is_packed(src: bytes, runner: EncodeRunner, index: int | None) -> bool:
    """Is a 1-bit frame from pydicom bit-packed or one byte per pixel? pydicom 3.1 says so in the frame
    option ``bits_allocated`` (1: packed); 3.0.x only sends frames from arrays, one byte per pixel."""
    pixels = runner.rows * runner.columns * runner.samples_per_pixel
    said = _get_frame_option(runner, index, "bits_allocated")
    if said == 1 or (said is None and len(src) != pixels and len(src) == (pixels + 7) // 8):
        if len(src) != (pixels + 7) // 8:
            raise ValueError(f"a bit-packed frame of {pixels} pixels has {(pixels + 7) // 8} bytes, not {len(src)}")
        return True
    if len(src) != pixels:
        raise ValueError(f"a 1-bit frame of {pixels} pixels has {pixels} bytes (one per pixel), not {len(src)}")
    return False


def _native_frame(src: bytes, runner: EncodeRunner, index: int | None, interleaved: bool) -> Any:
    """The frame as Bits Allocated-sized little-endian samples, interleaved or in the data set's Planar
    Configuration.

    pydicom hands encoders samples sized by Bits Stored (e.g. one byte per sample for Bits Allocated 16 with
    Bits Stored 8); the decoders expect Bits Allocated, so such samples are widened again (sign-extended
    for Pixel Representation 1). Frames from arrays are interleaved; frames from a data set or buffer are
    in its Planar Configuration.
    """
    spp, nbytes = runner.samples_per_pixel, _bytes_per_sample(runner.bits_allocated)
    samples = runner.rows * runner.columns * spp
    data: Any = src
    if len(src) != samples * nbytes:
        given, rest = divmod(len(src), samples) if samples else (0, 1)
        if rest or given not in (1, 2, 4) or given >= nbytes:
            raise ValueError(f"the frame has {len(src)} bytes, expected {samples * nbytes} ({samples} samples)")
        kind = "i" if runner.pixel_representation else "u"
        data = np.frombuffer(src, f"<{kind}{given}").astype(f"<{kind}{nbytes}")
        _set_frame_option(runner, index, "bits_allocated", runner.bits_allocated)
    if spp > 1:
        source_planar = not runner.is_array and runner.planar_configuration == 1
        target_planar = not interleaved and runner.planar_configuration == 1
        if source_planar != target_planar:
            planes = np.frombuffer(data, np.uint8)
            shape = (spp, samples // spp, nbytes) if source_planar else (samples // spp, spp, nbytes)
            data = np.ascontiguousarray(planes.reshape(shape).transpose(1, 0, 2))
    return data


# --- registration --------------------------------------------------------------------------------------

_lock = threading.RLock()


def register() -> None:
    """Add the ``framecodec`` plugins to pydicom's decoders and encoders for RLE Lossless, Deflated Image
    Frame Compression and Encapsulated Uncompressed Explicit VR Little Endian, and put them first.

    Called by ``import framecodec``; calling it again is harmless (the plugins are only moved first again).
    On pydicom 3.0.x it also teaches pydicom the Deflated Image Frame Compression UID and fixes
    ``decompress`` / ``compress`` for 1-bit images (see ``framecodec._pydicom_compat``).
    """
    with _lock:
        _compat.add_uid(DeflatedImageFrameCompression, _compat.DEFLATED_IMAGE_FRAME_ENTRY)
        for uid in UIDS + IMAGE_UIDS:
            coders: list[tuple[CoderBase, str]] = [(_compat.decoder(uid), "decode_frame")]
            if uid in UIDS:
                coders.append((_compat.encoder(uid), "encode_frame"))
            for coder, func in coders:
                if PLUGIN_NAME not in coder.available_plugins:
                    coder.add_plugin(PLUGIN_NAME, (__name__, func))
                if uid not in _LAST:
                    _compat.move_first(coder, PLUGIN_NAME)
        _compat.patch_one_bit_compress(UIDS)


def unregister() -> None:
    """Remove the ``framecodec`` plugins and everything else framecodec added to pydicom. pydicom's own
    plugins keep (so get back) their own order. Harmless when not registered."""
    with _lock:
        for uid in UIDS + IMAGE_UIDS:
            for coder in _compat.existing_coders(uid):
                if PLUGIN_NAME in coder.available_plugins:
                    coder.remove_plugin(PLUGIN_NAME)
        _compat.undo()
