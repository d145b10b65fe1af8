"""The slides, the bucket and the implementations of bench_remote.py (issue 19: FrameReader over S3/HTTP).

Each implementation reads a slide in moto's bucket through the latency proxy (latency_proxy.py), with an
``open()`` (URL to a reader ready to read any frame by its position) and the operations ``frames(h, indices)``,
``region(h, location, size)`` and ``whole(h)``; ``prepare()`` is the untimed open before an operation, after which
nothing of the Pixel Data is cached (a fresh FrameReader; the peers' s3fs file caches emptied).

- framecodec: ``FrameReader("s3://bucket/key", storage_options=...)``, ``tile_positions``; ``read(indices)``,
  ``read_region(location, size)``, ``reader[:]``.
- highdicom: ``highdicom.imread(fs.open(key, "rb"), lazy_frame_retrieval=True)`` (its frame positions are built at
  open); ``get_stored_frames(numbers)`` (1-based), the region by ``get_total_pixel_matrix`` (its own region API:
  the frames that cover it, decoded and stitched; stored values, no transform), ``get_stored_frames()`` (all).
  highdicom decodes through pydicom's decoders with no plugin named, which are framecodec's once framecodec is
  imported: its calls run with framecodec's plugins unregistered (:func:`pydicom_own_plugins`), so that pydicom
  uses its own first available plugin (pylibjpeg-rle for RLE, pylibjpeg-libjpeg for JPEG).
- wsidicom: ``WsiDicom.open("s3://bucket/key", file_options=storage options)`` (fsspec through universal-pathlib),
  frame caches off, the base level's focal planes (its tile index); ``read_tile`` per frame,
  ``read_region(location, 0, size)``, ``read_tile`` for every frame in file order. Its own decoders (imagecodecs,
  Pillow, pylibjpeg-rle), not pydicom's plugins.

The peers read through s3fs file objects, whose reads go through fsspec's block cache: by default "readahead"
with 50 MiB blocks (``S3FileSystem.default_block_size``), so the first read past the cache fetches 50 MiB from
there (most of the 70 MB JPEG slide), and each later read behind or beyond it another 50 MiB. That is what
``fs.open(url, "rb")`` gives, and the best case for reading a whole file; for random frames and regions, blocks
of a frame's size are the other sensible choice (a request per frame or two). Each peer runs in both
configurations ("s3fs 50 MiB blocks", the default, and "s3fs 256 KiB blocks"), and the goals are against the
faster of all four (whole file: the default blocks only; 256 KiB blocks would be 2,500 sequential requests for the
RLE slide).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import framecodec as fc
from framecodec._synthetic.slides import TILED_FULL, TILED_SPARSE, Slide
from latency_proxy import LatencyProxy, MotoS3

BUCKET = "framecodec-bench"
DELAY = float(os.environ.get("FRAMECODEC_BENCH_REMOTE_LATENCY_MS", "20")) / 1000
DEFAULT_BLOCK = 50 << 20  # s3fs's own default_block_size
SMALL_BLOCK = 256 << 10
SYNTAX_LABELS = {"jpeg": "JPEG Baseline", "rle": "RLE Lossless", "deflate": "Deflated Image Frame Compression"}


@dataclass(frozen=True)
class Case:
    """One slide of the issue: its syntax (slide_bench's "rle" / "jpeg"), tiling and frame counts."""

    key: str
    syntax: str
    tiling: str
    frames: int
    smoke_frames: int

    @property
    def object_key(self) -> str:
        return f"{self.key}.dcm"


#: The issue's slides: a 10,000-frame TILED_SPARSE slide (RLE Lossless: both peers decode it, and the pixels can
#: be compared exactly) and a 10,000-frame TILED_FULL JPEG Baseline slide; 300 frames each in the smoke run.
CASES = {
    c.key: c
    for c in (Case("rle-sparse", "rle", TILED_SPARSE, 10_000, 300), Case("jpeg-full", "jpeg", TILED_FULL, 10_000, 300))
}


def decoded_bytes(slide: Slide) -> int:
    tw, th = slide.spec.tile_size
    return slide.number_of_frames * tw * th * slide.samples


def region_location(slide: Slide, size: tuple[int, int]) -> tuple[int, int]:
    """The region's fixed place: a third of the way in, off the tile grid (so it covers 9 x 9 tiles of 256)."""
    x, y = slide.spec.width // 3 + 37, slide.spec.height // 3 + 53
    if x + size[0] > slide.spec.width or y + size[1] > slide.spec.height:
        raise ValueError(f"a {size} region does not fit at {(x, y)} in {slide.spec.width} x {slide.spec.height}")
    return x, y


# ------------------------------------------------------------------------------------------------ the bucket


class Remote:
    """moto's bucket behind the latency proxy: ``storage_options`` reach it through the proxy, ``upload`` goes
    straight to moto."""

    def __init__(self, delay: float = DELAY) -> None:
        self.moto = MotoS3().start()
        try:
            self.proxy = LatencyProxy(self.moto.address, delay).start()
            self._client = self.moto.client()
            self._client.create_bucket(Bucket=BUCKET)
        except BaseException:
            self.moto.stop()
            raise

    @property
    def storage_options(self) -> dict[str, Any]:
        return self.proxy.storage_options(self.moto)

    def url(self, key: str) -> str:
        return f"s3://{BUCKET}/{key}"

    def upload(self, slide: Slide, key: str) -> None:
        self._client.put_object(Bucket=BUCKET, Key=key, Body=slide.path.read_bytes())

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=BUCKET, Key=key)

    def s3fs(self, block: int) -> Any:
        """An ``S3FileSystem`` through the proxy whose files read in ``block``-byte readahead blocks."""
        import s3fs

        return s3fs.S3FileSystem(default_block_size=block, **self.storage_options)

    def close(self) -> None:
        self.proxy.stop()
        self.moto.stop()


# ------------------------------------------------------------------------------------------------ implementations


def remote_problem() -> str | None:
    """Why this framecodec cannot read URLs yet (its FrameReader takes no ``storage_options``), or None."""
    if "storage_options" not in inspect.signature(fc.FrameReader).parameters:
        return "framecodec.FrameReader takes no storage_options here (issue 19 not in this build)"
    return None


@contextlib.contextmanager
def pydicom_own_plugins() -> Iterator[None]:
    """framecodec's pydicom plugins away for the block (highdicom calls pydicom's decoders without naming one)."""
    fc.unregister()
    try:
        yield
    finally:
        fc.register()


def empty_cache(f: Any) -> None:
    """An fsspec buffered file's block cache made new (empty), so that what an open read is not served again."""
    cache = f.cache
    f.cache = type(cache)(cache.blocksize, cache.fetcher, cache.size)


class Impl:
    name = ""

    def open(self) -> Any:
        raise NotImplementedError

    def prepare(self) -> Any:
        return self.open()

    def frames(self, h: Any, indices: Sequence[int]) -> npt.NDArray[Any]:
        raise NotImplementedError

    def region(self, h: Any, location: tuple[int, int], size: tuple[int, int]) -> npt.NDArray[Any]:
        raise NotImplementedError

    def whole(self, h: Any) -> Any:
        raise NotImplementedError

    def close(self, h: Any) -> None:
        pass

    def requests(self, h: Any) -> int | None:
        """The implementation's own count of requests, where it keeps one."""
        return None

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """What every call of this implementation runs in (timed or not)."""
        yield


class Framecodec(Impl):
    name = "framecodec"

    def __init__(self, remote: Remote, slide: Slide, key: str) -> None:
        self.url, self.options, self.slide = remote.url(key), remote.storage_options, slide

    def open(self) -> Any:
        r = fc.FrameReader(self.url, storage_options=self.options)
        r.tile_positions  # noqa: B018 - every frame's position, as a viewer needs at open
        return r

    def frames(self, h: Any, indices: Sequence[int]) -> npt.NDArray[Any]:
        return np.asarray(h.read(list(indices)))

    def region(self, h: Any, location: tuple[int, int], size: tuple[int, int]) -> npt.NDArray[Any]:
        return np.asarray(h.read_region(location, size))

    def whole(self, h: Any) -> Any:
        return h[:]

    def close(self, h: Any) -> None:
        h.close()

    def requests(self, h: Any) -> int | None:
        n = getattr(h, "requests", None)
        return int(n) if n is not None else None


class Highdicom(Impl):
    def __init__(self, remote: Remote, slide: Slide, key: str, block: int, label: str) -> None:
        self.fs, self.path, self.slide = remote.s3fs(block), f"{BUCKET}/{key}", slide
        self.name = f"highdicom lazy frames, {label}"

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        with pydicom_own_plugins():
            yield

    def open(self) -> Any:
        import highdicom

        f = self.fs.open(self.path, "rb")
        try:
            return f, highdicom.imread(f, lazy_frame_retrieval=True)
        except BaseException:
            f.close()
            raise

    def prepare(self) -> Any:
        f, im = self.open()
        empty_cache(f)
        return f, im

    def frames(self, h: Any, indices: Sequence[int]) -> npt.NDArray[Any]:
        return np.asarray(h[1].get_stored_frames([i + 1 for i in indices]))  # 1-based frame numbers

    def region(self, h: Any, location: tuple[int, int], size: tuple[int, int]) -> npt.NDArray[Any]:
        (x, y), (w, hgt) = location, size
        return np.asarray(
            h[1].get_total_pixel_matrix(
                row_start=y,
                row_end=y + hgt,
                column_start=x,
                column_end=x + w,
                as_indices=True,
                dtype=np.uint8,
                apply_real_world_transform=False,
                apply_modality_transform=False,
                apply_voi_transform=False,
                apply_palette_color_lut=False,
                apply_icc_profile=False,
            )
        )

    def whole(self, h: Any) -> Any:
        return h[1].get_stored_frames()

    def close(self, h: Any) -> None:
        h[0].close()


class Wsidicom(Impl):
    def __init__(self, remote: Remote, slide: Slide, key: str, block: int, label: str) -> None:
        self.url, self.slide = remote.url(key), slide
        self.options = {**remote.storage_options, "default_block_size": block}
        self.name = f"wsidicom, {label}"
        tw, th = slide.spec.tile_size
        self.tiles = [(int(x) // tw, int(y) // th) for x, y in slide.positions.tolist()]

    def open(self) -> Any:
        from wsidicom import WsiDicom
        from wsidicom.config import Settings

        logging.getLogger("wsidicom").setLevel(logging.ERROR)
        wsi = WsiDicom.open(
            self.url,
            file_options=self.options,
            settings=Settings(decoded_frame_cache_size=0, encoded_frame_cache_size=0),
        )
        wsi.levels.base_level.focal_planes  # noqa: B018 - builds the tile index (it reads the positions lazily)
        return wsi

    def prepare(self) -> Any:
        wsi = self.open()
        for reader in wsi._source.readers:  # the fsspec file under each instance (private: wsidicom 0.36)
            empty_cache(reader._stream._stream)
        return wsi

    def _tile(self, wsi: Any, tile: tuple[int, int]) -> npt.NDArray[Any]:
        return np.asarray(wsi.read_tile(0, tile, crop_to_image_boundary=False, as_array=True))

    def frames(self, h: Any, indices: Sequence[int]) -> npt.NDArray[Any]:
        return np.stack([self._tile(h, self.tiles[i]) for i in indices])

    def region(self, h: Any, location: tuple[int, int], size: tuple[int, int]) -> npt.NDArray[Any]:
        z = h.levels.base_level.focal_planes[0]
        return np.asarray(h.read_region(location, 0, size, z=z, as_array=True))

    def whole(self, h: Any) -> Any:
        return [self._tile(h, t) for t in self.tiles]  # file order: each frame read once, forwards

    def close(self, h: Any) -> None:
        h.close()


def implementations(remote: Remote, slide: Slide, key: str, *, peers_only: bool = False) -> dict[str, Impl]:
    out: dict[str, Impl] = {}
    if not peers_only:
        out["framecodec"] = Framecodec(remote, slide, key)
    for block, label in ((DEFAULT_BLOCK, "s3fs 50 MiB blocks"), (SMALL_BLOCK, "s3fs 256 KiB blocks")):
        for cls in (Highdicom, Wsidicom):
            impl = cls(remote, slide, key, block, label)
            out[impl.name] = impl
    return out


def is_default_blocks(name: str) -> bool:
    return "50 MiB" in name


# ------------------------------------------------------------------------------------------------ checks


def agrees(got: npt.NDArray[Any], want: npt.NDArray[Any], lossy: bool) -> str | None:
    """None when ``got`` is ``want`` (lossless), or within the suite's JPEG tolerance of the reference decode
    (Pillow's) for a lossy slide: a mean difference under 1 and none over 8 (pylibjpeg-libjpeg rounds its IDCT
    and upsampling apart from libjpeg-turbo); else what differs."""
    if got.shape != want.shape or got.dtype != want.dtype:
        return f"shape/dtype {got.shape} {got.dtype}, not {want.shape} {want.dtype}"
    d = np.abs(got.astype(np.int16) - want.astype(np.int16))
    worst = int(d.max(initial=0))
    if not lossy:
        return None if worst == 0 else f"differs by up to {worst}"
    return None if worst <= 8 and float(d.mean()) < 1.0 else f"differs by up to {worst} (mean {d.mean():.3f})"


def sample_frames(n: int, k: int = 40) -> list[int]:
    return sorted({0, n - 1, *np.linspace(0, n - 1, k).astype(int).tolist()})
