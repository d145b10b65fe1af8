"""The image codecs of the engine, one frame at a time (``decode_frame``): the libraries the build found, each
codec against an independent decoder of the same codestream (Pillow's libjpeg-turbo, pylibjpeg-openjpeg,
pyjpegls), and codestreams that disagree with the data set, are cut short or corrupt. Whole files, slides and
regions are in test_jpeg_family.py and test_regions.py."""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import subprocess
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import framecodec as fc

CODECS = fc.backends()["codecs"]


def built(codec: str) -> None:
    if not CODECS[codec]:
        pytest.skip(f"this build has no {codec} decoder (framecodec --version lists what it has)")


def system_library(name: str) -> ctypes.CDLL | None:
    found = ctypes.util.find_library(name)
    return ctypes.CDLL(found) if found else None


def pkg_config_version(module: str) -> str | None:
    try:
        out = subprocess.run(["pkg-config", "--modversion", module], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def test_the_libraries_are_the_systems() -> None:
    """What backends() names is the library the system has (asked through ctypes or pkg-config, not framecodec)."""
    openjp2 = system_library("openjp2")
    if openjp2 is not None and CODECS["j2k"]:
        openjp2.opj_version.restype = ctypes.c_char_p
        assert CODECS["j2k"] == f"OpenJPEG {openjp2.opj_version().decode()}"
    charls = system_library("charls")
    if charls is not None and CODECS["jpegls"]:
        charls.charls_get_version_string.restype = ctypes.c_char_p
        assert CODECS["jpegls"] == f"CharLS {charls.charls_get_version_string().decode()}"
    turbo = pkg_config_version("libjpeg")
    if turbo and CODECS["jpeg"]:
        assert CODECS["jpeg"] == f"libjpeg-turbo {turbo}"
    if CODECS["htj2k"]:
        assert CODECS["htj2k"].startswith(("OpenJPH ", "OpenJPEG "))
    out = subprocess.run(
        [sys.executable, "-m", "framecodec", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert all(v is None or v in out for v in CODECS.values()), out


def pillow_jpeg(pixels: npt.NDArray[np.uint8], **save: Any) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", **save)
    return buf.getvalue()


def photo(rows: int, columns: int, seed: int = 0) -> npt.NDArray[np.uint8]:
    """A smooth colour image with noise: what JPEG is for."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:columns]
    base = np.stack([128 + 100 * np.sin(x / 17.0), 128 + 90 * np.cos(y / 13.0), 128 + 80 * np.sin((x + y) / 29.0)], -1)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("subsampling", [0, 1, 2], ids=["444", "422", "420"])
@pytest.mark.parametrize("size", [(64, 64), (250, 190), (17, 33)])
def test_jpeg_equals_pillow(subsampling: int, size: tuple[int, int]) -> None:
    built("jpeg")
    from PIL import Image

    pixels = photo(*size)
    stream = pillow_jpeg(pixels, quality=90, subsampling=subsampling)
    rgb = np.asarray(Image.open(io.BytesIO(stream)).convert("RGB"))
    image = Image.open(io.BytesIO(stream))
    image.draft("YCbCr", image.size)
    ycbcr = np.asarray(image)
    got = fc.codecs.decode_frame(stream, "jpeg", *size, 3, 8, bits_stored=8, ybr=True).reshape(rgb.shape)
    assert np.array_equal(got, rgb)
    raw = fc.codecs.decode_frame(stream, "jpeg", *size, 3, 8, bits_stored=8, ybr=True, raw=True).reshape(rgb.shape)
    assert np.array_equal(raw, ycbcr)
    grey = pixels[..., 1].copy()
    stream = pillow_jpeg(grey, quality=85)
    ref = np.asarray(Image.open(io.BytesIO(stream)))
    assert np.array_equal(fc.codecs.decode_frame(stream, "jpeg", *size, 1, 8, bits_stored=8).reshape(size), ref)


def test_jpeg_with_rgb_component_ids_is_not_converted() -> None:
    """PS3.5 8.2.1 and pydicom: a codestream whose components are named R, G, B holds RGB, whatever the data set's
    Photometric Interpretation says; Pillow keeps it as stored ("RGB" mode from an Adobe transform 0 marker)."""
    built("jpeg")
    from PIL import Image

    pixels = photo(32, 48, 1)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=95, subsampling=0, keep_rgb=True)
    stream = buf.getvalue()
    ref = np.asarray(Image.open(io.BytesIO(stream)).convert("RGB"))
    for ybr in (False, True):
        got = fc.codecs.decode_frame(stream, "jpeg", 32, 48, 3, 8, bits_stored=8, ybr=ybr)
        assert np.array_equal(got.reshape(ref.shape), ref)


@pytest.mark.parametrize("codec", ["jpeg", "jpegls", "j2k", "htj2k"])
def test_a_header_that_disagrees_with_the_data_set_is_refused(codec: str) -> None:
    built(codec)
    pixels = photo(64, 48)[..., 0].copy()
    stream = encode(codec, pixels)
    ok = fc.codecs.decode_frame(stream, codec, 64, 48, 1, 8, bits_stored=8)
    assert ok.size == 64 * 48
    for rows, columns, spp in ((65, 48, 1), (64, 49, 1), (32, 96, 1), (64, 48, 3)):
        with pytest.raises(fc.DecodeError, match=r"header says"):
            fc.codecs.decode_frame(stream, codec, rows, columns, spp, 8, bits_stored=8)


@pytest.mark.parametrize("codec", ["jpeg", "jpegls", "j2k", "htj2k"])
def test_truncated_and_corrupt_codestreams_raise(codec: str) -> None:
    built(codec)
    pixels = photo(64, 64, 3)[..., 2].copy()
    stream = encode(codec, pixels)
    for cut in (2, 10, len(stream) // 3, len(stream) // 2, len(stream) - 2):
        with pytest.raises(fc.DecodeError):
            fc.codecs.decode_frame(stream[:cut], codec, 64, 64, 1, 8, bits_stored=8)
    rng = np.random.default_rng(5)
    for _ in range(40):  # flipped bytes: an error or some pixels, never a crash or a write outside the frame
        bad = bytearray(stream)
        for i in rng.integers(0, len(bad), 4):
            bad[i] ^= 0xFF
        out = np.full(64 * 64 + 64, 7, np.uint8)
        try:
            fc.codecs.decode_frame(bytes(bad), codec, 64, 64, 1, 8, bits_stored=8, out=out[: 64 * 64])
        except (fc.DecodeError, ValueError):
            pass
        assert (out[64 * 64 :] == 7).all()


def encode(codec: str, pixels: npt.NDArray[np.uint8]) -> bytes:
    """A codestream from an encoder independent of framecodec."""
    if codec == "jpeg":
        return pillow_jpeg(pixels, quality=90)
    if codec == "jpegls":
        jpeg_ls = pytest.importorskip("jpeg_ls")
        return bytes(jpeg_ls.encode(pixels))
    if codec == "j2k":
        openjpeg = pytest.importorskip("openjpeg")  # pylibjpeg-openjpeg's own OpenJPEG
        return bytes(openjpeg.encode(pixels, lossless=True))
    imagecodecs = pytest.importorskip("imagecodecs")  # its own OpenJPH
    if not imagecodecs.HTJ2K.available:
        pytest.fail("imagecodecs has no HTJ2K encoder here (a test extra: pip install imagecodecs)")
    return bytes(imagecodecs.htj2k_encode(pixels))


@pytest.mark.parametrize(
    ("uid", "codec", "first"),
    [
        ("1.2.840.10008.1.2.4.50", "jpeg", True),
        ("1.2.840.10008.1.2.4.90", "j2k", True),
        ("1.2.840.10008.1.2.4.201", "htj2k", True),
        ("1.2.840.10008.1.2.4.80", "jpegls", False),
    ],
)
def test_the_plugin_goes_first_but_for_jpeg_ls(uid: str, codec: str, first: bool) -> None:
    """Ours first where it is the faster decoder or gives the slide tools' JPEG pixels; after pydicom's own for
    JPEG-LS, where Debian's CharLS is slower than pyjpegls' (the values are the same). unregister() restores
    pydicom's own order, register() ours."""
    built(codec)
    from framecodec import _pydicom_compat as compat

    fc.unregister()
    try:
        pristine = [p for p in compat.plugin_order(compat.decoder(uid)) if p != "framecodec"]
        assert "framecodec" not in compat.plugin_order(compat.decoder(uid))
    finally:
        fc.register()
    order = compat.plugin_order(compat.decoder(uid))
    assert order == (["framecodec"] + pristine if first else pristine + ["framecodec"])


def test_htj2k_falls_back_to_openjpeg_for_what_openjph_cannot_read() -> None:
    """A frame of an HTJ2K transfer syntax whose codestream OpenJPH 0.9 would misread (here: a Part 1 codestream,
    which the HTJ2K syntaxes also allow, PS3.5 8.2.14) is decoded by OpenJPEG, to pylibjpeg-openjpeg's pixels."""
    built("htj2k")
    built("j2k")
    openjpeg = pytest.importorskip("openjpeg")
    pixels = np.random.default_rng(3).integers(0, 4096, (64, 80), dtype=np.uint16)
    stream = bytes(openjpeg.encode(pixels, bits_stored=12))
    reference = openjpeg.decode(stream)
    got = fc.codecs.decode_frame(stream, "htj2k", 64, 80, 1, 16, bits_stored=12).view(np.uint16).reshape(64, 80)
    assert np.array_equal(got, reference) and np.array_equal(got, pixels)
