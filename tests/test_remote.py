"""FrameReader over objects that are not local files (issue 19): S3 through moto's server, fsspec's memory
filesystem, open file objects and fsspec file objects. Every read equals the local FrameReader's read of the
same file (whose own reads are checked against independent references by test_reader.py,
test_reader_slides.py and test_jpeg_family.py), and a few files are checked against pydicom's own decoders
here too; request counts, replaced objects, the sidecar index, Dask workers and the command line.

HTTP (a range server with injected faults) is in test_remote_http.py; the servers are tests/remote_servers.py,
the files tests/remote_corpus.py.
"""

from __future__ import annotations

import errno
import io
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import framecodec as fc
from datasets import assert_identical, reference
from remote_corpus import (
    ALL,
    MANY,
    SLIDE_FILES,
    Entry,
    check_pickle,
    check_same,
    many_file,
    native_many_file,
)
from remote_servers import MotoS3

fsspec = pytest.importorskip("fsspec", reason="fsspec is not installed: remote reading needs it")

#: Files also read through an fsspec file object (S3File): one of each tiling and offset table.
FILE_OBJECT_SUBSET = [
    "explicit-1bit-off-bytes",
    "deflate-empty-bot",
    "slide-jpeg444-sparse-empty-bot",
    "jpeg-3-fragments-empty-bot",
]


@pytest.fixture(scope="module")
def s3_urls(moto_s3: MotoS3, corpus: dict[str, Entry]) -> dict[str, str]:
    """Every file of the corpus in the bucket, under corpus/NAME.dcm."""
    return {name: moto_s3.put(f"corpus/{name}.dcm", e.data) for name, e in corpus.items()}


@pytest.fixture(scope="module")
def memory_urls(corpus: dict[str, Entry]) -> Iterator[dict[str, str]]:
    fs = fsspec.filesystem("memory")
    urls = {}
    for name, e in corpus.items():
        fs.pipe_file(f"/framecodec-remote/{name}.dcm", e.data)
        urls[name] = f"memory://framecodec-remote/{name}.dcm"
    yield urls
    fs.rm("/framecodec-remote", recursive=True)


def local(entry: Entry) -> fc.FrameReader:
    return fc.FrameReader(entry.path)


# ------------------------------------------------------------------------------------- every file, every way


@pytest.mark.parametrize("name", ALL)
def test_s3_reads_equal_local_reads(s3: MotoS3, s3_urls: dict[str, str], corpus: dict[str, Entry], name: str) -> None:
    url = s3_urls[name]
    with local(corpus[name]) as loc, fc.FrameReader(url, storage_options=s3.storage_options) as remote:
        assert remote.requests >= 1 and remote.bytes_read >= 1
        check_same(remote, loc, corpus[name], url=url)
        check_pickle(remote, loc)


@pytest.mark.parametrize("name", ALL)
def test_memory_url_reads_equal_local_reads(memory_urls: dict[str, str], corpus: dict[str, Entry], name: str) -> None:
    url = memory_urls[name]
    with local(corpus[name]) as loc, fc.FrameReader(url) as remote:
        check_same(remote, loc, corpus[name], url=url)


@pytest.mark.parametrize("name", ALL)
def test_open_file_object_reads_equal_local_reads(corpus: dict[str, Entry], name: str) -> None:
    entry = corpus[name]
    with open(entry.path, "rb") as f, local(entry) as loc, fc.FrameReader(f) as remote:
        check_same(remote, loc, entry)
        assert not f.closed  # the caller's file stays the caller's
    if name in FILE_OBJECT_SUBSET:  # any binary file object, not only the operating system's files
        with local(entry) as loc, fc.FrameReader(io.BytesIO(entry.data)) as remote:
            check_same(remote, loc, entry, full=False)


def test_a_file_object_reader_pickles_or_says_why(corpus: dict[str, Entry]) -> None:
    """A file object cannot travel to another process: pickling either works (and reads the same) or raises a
    TypeError that says so; never a reader that reads something else."""
    entry = corpus["deflate-eot"]
    with open(entry.path, "rb") as f, fc.FrameReader(f) as remote, local(entry) as loc:
        try:
            again = pickle.loads(pickle.dumps(remote))
        except TypeError as e:
            assert "pickle" in str(e)
        else:
            assert_identical(again.read(), loc.read())


@pytest.mark.parametrize("name", FILE_OBJECT_SUBSET)
def test_fsspec_file_object_reads_equal_local_reads(
    s3: MotoS3, s3_urls: dict[str, str], corpus: dict[str, Entry], name: str
) -> None:
    fs = s3.filesystem()
    with fs.open(s3_urls[name], "rb") as f, local(corpus[name]) as loc, fc.FrameReader(f) as remote:
        assert remote.path == s3_urls[name]  # read through its filesystem, by URL
        check_same(remote, loc, corpus[name], full=False)
        check_pickle(remote, loc)  # the file's filesystem carries its storage options


def test_remote_reads_equal_pydicoms_own_decoders(
    s3: MotoS3, s3_urls: dict[str, str], corpus: dict[str, Entry]
) -> None:
    """Not only the local reader: pydicom's own decoders, chosen by name (framecodec puts its plugins first)."""
    from framecodec._synthetic.slides import JPEG_2000_LOSSLESS, JPEG_BASELINE
    from jpeg_family_util import pydicom_reference

    so = s3.storage_options
    with fc.FrameReader(s3_urls["rle-rgb-bot"], storage_options=so) as r:
        assert_identical(r.read(), reference(corpus["rle-rgb-bot"].path, decoding_plugin="pydicom"))
    with fc.FrameReader(s3_urls["implicit-int16-stored12"], storage_options=so) as r:
        assert_identical(r.read(), reference(corpus["implicit-int16-stored12"].path, decoding_plugin="pydicom"))
    with fc.FrameReader(s3_urls["slide-j2k-full-eot"], storage_options=so) as r:
        assert_identical(r.read(), pydicom_reference(corpus["slide-j2k-full-eot"].path, JPEG_2000_LOSSLESS, raw=False))
    with fc.FrameReader(s3_urls["slide-jpeg-full-bot"], storage_options=so) as r:  # libjpeg-turbo both
        assert_identical(r.read(), pydicom_reference(corpus["slide-jpeg-full-bot"].path, JPEG_BASELINE, raw=False))
    # and the lossless slide's regions are the pixels written (the generator's numpy canvas)
    s = corpus["slide-j2k-full-eot"].slide
    assert s is not None
    with fc.FrameReader(s3_urls["slide-j2k-full-eot"], storage_options=so) as r:
        assert_identical(r.read_region((17, 9), (200, 150)), s.region((17, 9), (200, 150)))


def test_a_file_url_is_a_local_path(corpus: dict[str, Entry]) -> None:
    """ "file://" is not read by ranges: it names a local file, memory-mapped as a path is."""
    entry = corpus["deflate-eot"]
    with fc.FrameReader(f"file://{entry.path}") as r, local(entry) as loc:
        assert r.remote is False
        assert_identical(r.read(), loc.read())


def test_a_closed_remote_reader(s3: MotoS3, s3_urls: dict[str, str]) -> None:
    r = fc.FrameReader(s3_urls["deflate-eot"], storage_options=s3.storage_options)
    r.close()
    assert r.closed
    with pytest.raises(ValueError, match="closed"):
        r.read()


def test_transcode_an_s3_object_to_a_local_file(
    s3: MotoS3, s3_urls: dict[str, str], corpus: dict[str, Entry], tmp_path: Path
) -> None:
    out = fc.transcode(s3_urls["deflate-eot"], tmp_path / "rle.dcm", "rle", storage_options=s3.storage_options)
    with fc.FrameReader(out) as r, local(corpus["deflate-eot"]) as loc:
        assert r.transfer_syntax == "1.2.840.10008.1.2.5"
        assert_identical(r.read(), loc.read())
    assert_identical(reference(out, decoding_plugin="pydicom"), reference(corpus["deflate-eot"].path))
    with pytest.raises((ValueError, OSError)):  # the destination must be local
        fc.transcode(s3_urls["deflate-eot"], s3.url("transcoded.dcm"), "rle", storage_options=s3.storage_options)
    assert not s3.exists("transcoded.dcm")


# ------------------------------------------------------------------------------------------- request counts


@pytest.mark.parametrize("name", ["many-eot", "slide-j2k-full-eot", "rle-eot"])
def test_opening_a_file_with_an_extended_offset_table_takes_few_requests(
    s3: MotoS3, s3_urls: dict[str, str], name: str
) -> None:
    with fc.FrameReader(s3_urls[name], storage_options=s3.storage_options) as r:
        assert 1 <= r.requests <= 4, r.requests
        assert r.bytes_read <= 2 << 20


def test_200_random_frames_take_far_fewer_than_200_requests(
    s3: MotoS3, s3_urls: dict[str, str], corpus: dict[str, Entry]
) -> None:
    pick = np.random.default_rng(5).choice(MANY, 200, replace=False)
    with fc.FrameReader(s3_urls["many-eot"], storage_options=s3.storage_options) as r, local(corpus["many-eot"]) as loc:
        before = r.requests
        assert_identical(r.read(pick), loc.read(pick))
        assert r.requests - before < 20, r.requests - before


def test_an_overlapping_region_is_served_partly_from_the_cache(
    s3: MotoS3, s3_urls: dict[str, str], corpus: dict[str, Entry]
) -> None:
    url, so = s3_urls["cache-slide"], s3.storage_options
    a, b, size = (100, 100), (300, 250), (400, 300)
    with fc.FrameReader(url, storage_options=so) as r, local(corpus["cache-slide"]) as loc:
        r0, b0 = r.requests, r.bytes_read
        assert_identical(r.read_region(a, size), loc.read_region(a, size))
        assert r.requests - r0 >= 1 and r.bytes_read - b0 > 0
        r1, b1 = r.requests, r.bytes_read
        assert_identical(r.read_region(a, size), loc.read_region(a, size))
        assert (r.requests - r1, r.bytes_read - b1) == (0, 0)  # the same region again: all from the cache
        r2, b2 = r.requests, r.bytes_read
        assert_identical(r.read_region(b, size), loc.read_region(b, size))
        overlap_requests, overlap_bytes = r.requests - r2, r.bytes_read - b2
    with fc.FrameReader(url, storage_options=so) as fresh:  # region b with nothing cached
        f0, g0 = fresh.requests, fresh.bytes_read
        fresh.read_region(b, size)
        alone_requests, alone_bytes = fresh.requests - f0, fresh.bytes_read - g0
    assert overlap_bytes < alone_bytes, (overlap_bytes, alone_bytes)
    assert overlap_requests <= alone_requests


def test_cache_bytes_zero_caches_nothing(s3: MotoS3, s3_urls: dict[str, str]) -> None:
    with fc.FrameReader(s3_urls["cache-slide"], storage_options=s3.storage_options, cache_bytes=0) as r:
        first = r.read_region((0, 0), (128, 128))
        before = r.requests
        assert_identical(r.read_region((0, 0), (128, 128)), first)
        assert r.requests > before


# ------------------------------------------------------------------------------------------ objects changing


def test_an_object_missing_at_open_is_file_not_found(s3: MotoS3) -> None:
    with pytest.raises(FileNotFoundError):
        fc.FrameReader(s3.url("no/such/object.dcm"), storage_options=s3.storage_options)


@pytest.mark.parametrize("same_size", [True, False], ids=["same-size", "other-size"])
def test_an_object_replaced_after_open_is_stale_never_new_bytes(s3: MotoS3, tmp_path: Path, same_size: bool) -> None:
    """Frames past the header's first MiB, read after the object was replaced: ESTALE, whether or not the size
    changed (the ETag tells), never the new object's bytes decoded as the old frames."""
    if same_size:
        old, new = native_many_file(tmp_path, "a.dcm", 0), native_many_file(tmp_path, "b.dcm", 1)
        assert old.stat().st_size == new.stat().st_size
    else:
        old, new = (many_file(tmp_path, name, extended=True, seed=seed) for name, seed in (("a.dcm", 0), ("b.dcm", 1)))
    url = s3.put(f"replaced-{same_size}.dcm", old.read_bytes())
    with fc.FrameReader(url, storage_options=s3.storage_options) as r, fc.FrameReader(old) as loc:
        n = len(loc)
        assert_identical(r[0], loc[0])
        s3.put(f"replaced-{same_size}.dcm", new.read_bytes())
        with pytest.raises(OSError) as e:
            r.read([n - 1, n - 2])
        assert e.value.errno == errno.ESTALE, e.value
        assert "changed" in str(e.value) and url in str(e.value)


def test_a_memory_object_replaced_after_open(tmp_path: Path) -> None:
    """A filesystem without ETags in its responses (fsspec's memory): the identity it reports (here its creation
    time) is asked for again, and a same-size replacement is ESTALE too."""
    old, new = native_many_file(tmp_path, "a.dcm", 0), native_many_file(tmp_path, "b.dcm", 1)
    fs = fsspec.filesystem("memory")
    fs.pipe_file("/framecodec-replaced/a.dcm", old.read_bytes())
    try:
        with fc.FrameReader("memory://framecodec-replaced/a.dcm") as r, fc.FrameReader(old) as loc:
            assert_identical(r[0], loc[0])
            fs.pipe_file("/framecodec-replaced/a.dcm", new.read_bytes())
            with pytest.raises(OSError) as e:
                r.read([398, 399])
            assert e.value.errno == errno.ESTALE
    finally:
        fs.rm("/framecodec-replaced", recursive=True)


@pytest.mark.parametrize("key", ["dir with space/a+b.dcm", "ünï/çødé.dcm", "a%20b.dcm"])
def test_keys_that_need_quoting(s3: MotoS3, corpus: dict[str, Entry], key: str) -> None:
    entry = corpus["deflate-empty-bot"]
    url = s3.put(f"names/{key}", entry.data)
    with fc.FrameReader(url, storage_options=s3.storage_options) as r, local(entry) as loc:
        assert_identical(r.read(), loc.read())
    assert fc.write_index(url, storage_options=s3.storage_options) == url + ".fcidx"
    assert s3.exists(f"names/{key}.fcidx")


# ------------------------------------------------------------------------------------------ the sidecar index


def test_write_index_of_a_local_file_and_a_file_object_reader_uses_it(corpus: dict[str, Entry], tmp_path: Path) -> None:
    path = tmp_path / "walked.dcm"
    path.write_bytes(corpus["many-empty-bot"].data)
    size = path.stat().st_size
    with open(path, "rb") as f, fc.FrameReader(f, index=False) as walked:
        assert walked.bytes_read >= 0.9 * size  # no offset table: the walk reads the Pixel Data
    where = fc.write_index(path)
    assert where == str(path) + ".fcidx" and Path(where).is_file()
    with open(path, "rb") as f, fc.FrameReader(f) as indexed, fc.FrameReader(path, index=False) as loc:
        # the header's 1 MiB range, and nothing of the Pixel Data beyond it (about 3.6 MB)
        assert indexed.bytes_read < size / 3, indexed.bytes_read
        assert_identical(indexed.read(), loc.read())
    other = fc.write_index(path, tmp_path / "elsewhere.fcidx")
    assert other == str(tmp_path / "elsewhere.fcidx")
    with open(path, "rb") as f, fc.FrameReader(f, index=other) as indexed, fc.FrameReader(path, index=False) as loc:
        assert indexed.bytes_read < size / 3
        assert_identical(indexed[[MANY - 1, 0, 1234]], loc[[MANY - 1, 0, 1234]])


def test_a_local_file_with_an_index_beside_it_is_read_where_the_index_says(
    corpus: dict[str, Entry], tmp_path: Path
) -> None:
    """No offset table: mapped, the open would touch every item header; with NAME.fcidx beside it, the file is read
    with pread where the index places the frames, and equals the mapped read; a pickled reader opens it again and
    refuses it once it has changed; a file that changed since its index is mapped again, with a warning."""
    path = tmp_path / "walked.dcm"
    path.write_bytes(corpus["many-empty-bot"].data)
    size = path.stat().st_size
    with fc.FrameReader(path) as plain:
        assert not plain.remote  # no index yet: mapped
    fc.write_index(path)
    with fc.FrameReader(path) as indexed, fc.FrameReader(path, index=False) as loc:
        assert indexed.remote and not loc.remote
        assert indexed.bytes_read < size / 3, indexed.bytes_read  # the header, not the Pixel Data
        assert_identical(indexed.read(), loc.read())
        again = pickle.loads(pickle.dumps(indexed))
        assert_identical(again[[MANY - 1, 7]], loc[[MANY - 1, 7]])
        blob = pickle.dumps(indexed)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # the file changed (its time)
    with pytest.raises(OSError) as e:
        pickle.loads(blob)
    assert e.value.errno == errno.ESTALE
    with pytest.warns(UserWarning, match="index"), fc.FrameReader(path) as r:
        assert not r.remote  # mapped, as without an index
    with pytest.raises(ValueError, match="index"):
        fc.FrameReader(path, index=str(path) + ".fcidx")


def test_a_stale_local_index(corpus: dict[str, Entry], tmp_path: Path) -> None:
    path = tmp_path / "walked.dcm"
    path.write_bytes(corpus["many-empty-bot"].data)
    where = fc.write_index(path)
    many_file(tmp_path, "walked.dcm", extended=False, seed=3)  # rewritten: other frames, other size
    with (
        open(path, "rb") as f,
        pytest.warns(UserWarning, match="index"),
        fc.FrameReader(f) as r,
        fc.FrameReader(path, index=False) as loc,
    ):
        assert_identical(r.read(), loc.read())
    with open(path, "rb") as f, pytest.raises(ValueError, match="index"):
        fc.FrameReader(f, index=where)


def test_write_index_of_an_s3_object(s3: MotoS3, corpus: dict[str, Entry], tmp_path: Path) -> None:
    entry = corpus["many-empty-bot"]
    url, so, size = s3.put("indexed/many.dcm", entry.data), s3.storage_options, len(entry.data)
    with fc.FrameReader(url, storage_options=so) as walked:  # no index yet: the walk
        walk_requests, walk_bytes = walked.requests, walked.bytes_read
    assert walk_bytes >= 0.9 * size
    where = fc.write_index(url, storage_options=so)
    assert where == url + ".fcidx" and s3.exists("indexed/many.dcm.fcidx")
    with fc.FrameReader(url, storage_options=so) as indexed, local(entry) as loc:
        assert indexed.bytes_read < size / 3, (indexed.bytes_read, walk_bytes)
        assert indexed.requests <= walk_requests, (indexed.requests, walk_requests)
        assert_identical(indexed.read(), loc.read())
        check_pickle(indexed, loc)
    with fc.FrameReader(url, storage_options=so, index=where) as named:
        assert named.bytes_read < size / 3
    with fc.FrameReader(url, storage_options=so, index=False) as ignored:
        assert ignored.bytes_read >= 0.9 * size
    # the object replaced: the index is stale. Found beside it: a warning, and the walk; named: an error
    new = many_file(tmp_path, "new.dcm", extended=False, seed=9)
    s3.put("indexed/many.dcm", new.read_bytes())
    with pytest.warns(UserWarning, match="index"):
        stale = fc.FrameReader(url, storage_options=so)
    with stale, fc.FrameReader(new) as loc:
        assert_identical(stale.read(), loc.read())
    with pytest.raises(ValueError, match="index"):
        fc.FrameReader(url, storage_options=so, index=where)


def test_write_index_to_a_local_destination_for_an_s3_object(
    s3: MotoS3, corpus: dict[str, Entry], tmp_path: Path
) -> None:
    entry = corpus["many-empty-bot"]
    url, so = s3.put("indexed/local-index.dcm", entry.data), s3.storage_options
    where = fc.write_index(url, tmp_path / "x.fcidx", storage_options=so)
    assert where == str(tmp_path / "x.fcidx") and not s3.exists("indexed/local-index.dcm.fcidx")
    with fc.FrameReader(url, storage_options=so, index=where) as r, local(entry) as loc:
        assert r.bytes_read < len(entry.data) / 3
        assert_identical(r[[0, MANY - 1]], loc[[0, MANY - 1]])


# ------------------------------------------------------------------------------------------------------ Dask


def test_dask_workers_read_from_s3(
    s3: MotoS3, s3_urls: dict[str, str], corpus: dict[str, Entry], tmp_path: Path
) -> None:
    pytest.importorskip("dask.array", reason="dask[array] is not installed")
    distributed = pytest.importorskip("distributed", reason="distributed is not installed")
    from framecodec.dask import region_to_dask, stack_files, to_dask, transcode_files

    so = s3.storage_options
    slide = "slide-rle-planes-sparse-eot"
    cluster_options: dict[str, Any] = {
        "n_workers": 2,
        "processes": True,
        "threads_per_worker": 1,
        "dashboard_address": ":0",
    }
    with distributed.LocalCluster(**cluster_options) as cluster, distributed.Client(cluster) as client:
        arr = to_dask(s3_urls["many-eot"], storage_options=so, frames_per_chunk=500)
        with local(corpus["many-eot"]) as loc:
            # timeouts: a worker that dies (and a nanny that gives up) must fail the test, not hang it
            assert_identical(client.compute(arr).result(timeout=120), loc.read())
            assert_identical(client.compute(arr[100:700:3]).result(timeout=120), loc[100:700:3])
        region = region_to_dask(s3_urls[slide], storage_options=so, chunk=(100, 120), focal_plane=1, optical_path=1)
        with local(corpus[slide]) as loc:
            spec = SLIDE_FILES[slide]
            expected = loc.read_region((0, 0), (spec.width, spec.height), focal_plane=1, optical_path=1)
            assert_identical(client.compute(region).result(timeout=120), expected)
        names = ["rle-eot", "rle-eot", "rle-eot"]
        stacked = stack_files([s3_urls[n] for n in names], storage_options=so)
        with local(corpus["rle-eot"]) as loc:
            assert_identical(client.compute(stacked).result(timeout=120), np.stack([loc.read()] * 3))
        sources = ["rle-eot", "deflate-eot"]
        rows = transcode_files(
            [s3_urls[n] for n in sources], tmp_path / "out", "rle", client=client, storage_options=so
        )
        assert [r.status for r in rows] == ["ok", "ok"], rows
        for name, row in zip(sources, rows):
            assert row.input_bytes == len(corpus[name].data)
            with local(corpus[name]) as loc, fc.FrameReader(row.output) as written:
                assert written.transfer_syntax == "1.2.840.10008.1.2.5"
                assert_identical(written.read(), loc.read())
        pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids  # decoded in the worker processes


# ---------------------------------------------------------------------------------------------- command line


def run_main(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    from framecodec.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def options(s3: MotoS3) -> list[str]:
    """--storage-option KEY=VALUE for each of the bucket's options (a JSON value for client_kwargs)."""
    out = []
    for k, v in s3.storage_options.items():
        out += ["--storage-option", f"{k}={json.dumps(v) if isinstance(v, dict) else v}"]
    return out


def test_cli_info_of_an_s3_object(
    s3: MotoS3, s3_urls: dict[str, str], corpus: dict[str, Entry], capsys: pytest.CaptureFixture[str]
) -> None:
    url = s3_urls["slide-jpeg-grey-eot"]
    code, out, err = run_main(capsys, "info", "--json", url, *options(s3))
    assert code == 0, err
    (info,) = json.loads(out)
    with local(corpus["slide-jpeg-grey-eot"]) as loc:
        assert info["file"] == url and info["frames"] == len(loc)
        assert info["transfer_syntax"] == loc.transfer_syntax
    # and in a process of its own, as a user types it
    r = subprocess.run(
        [sys.executable, "-m", "framecodec", "info", url, *options(s3)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert url in r.stdout
    # without the options the endpoint is AWS's, where the bucket is not: a failure, reported
    code, _, err = run_main(capsys, "info", s3.url("no/such.dcm"), *options(s3))
    assert code == 1 and "no/such.dcm" in err


def test_cli_decode_of_an_s3_object(
    s3: MotoS3, s3_urls: dict[str, str], corpus: dict[str, Entry], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "frames.npy"
    code, _, err = run_main(
        capsys, "decode", s3_urls["many-eot"], "-o", out, "--frames", "10:2000:7", "-q", *options(s3)
    )
    assert code == 0, err
    with local(corpus["many-eot"]) as loc:
        assert_identical(np.load(out), loc[10:2000:7])


def test_cli_index_of_an_s3_object(
    s3: MotoS3, corpus: dict[str, Entry], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = corpus["many-empty-bot"]
    url = s3.put("cli/many.dcm", entry.data)
    code, _, err = run_main(capsys, "index", url, *options(s3))
    assert code == 0, err
    assert s3.exists("cli/many.dcm.fcidx")
    with fc.FrameReader(url, storage_options=s3.storage_options) as r:
        assert r.bytes_read < len(entry.data) / 3
    code, _, err = run_main(capsys, "index", url, "-o", tmp_path / "local.fcidx", *options(s3))
    assert code == 0, err
    with fc.FrameReader(url, storage_options=s3.storage_options, index=str(tmp_path / "local.fcidx")) as r:
        assert r.bytes_read < len(entry.data) / 3


def test_cli_index_of_a_local_file(
    corpus: dict[str, Entry], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "many.dcm"
    path.write_bytes(corpus["many-empty-bot"].data)
    code, _, err = run_main(capsys, "index", path)
    assert code == 0, err
    assert (tmp_path / "many.dcm.fcidx").is_file()


def test_the_corpus_covers_what_it_claims(corpus: dict[str, Entry]) -> None:
    """The files are what the tests above say they are (so that no case is silently missing)."""
    sources, codecs, tilings = set(), set(), set()
    for name in ALL:
        with local(corpus[name]) as r:
            codecs.add(r.codec)
            sources.add(r.frame_table.source if r.frame_table is not None else "native")
            if corpus[name].slide is not None:
                tilings.add(r.geometry.dimension_organization)
    assert {"deflate", "rle", "uncompressed", "native", "jpeg", "j2k", "htj2k", "jpegls"} <= codecs
    assert {"extended", "basic", "one_per_frame", "markers", "native"} <= sources
    assert tilings == {"TILED_FULL", "TILED_SPARSE"}
