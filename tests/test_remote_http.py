"""FrameReader over HTTP (issue 19), against tests/remote_servers.py's RangeServer: every file read over HTTP
equals the local read; the server's own request log (not only the reader's counter) bounds the requests an open
and a read take; and the faults a real server has are survived or refused as the API says: 5xx answers and
connections reset mid-body are retried, persistent ones raise an OSError naming the URL, the frame and the byte
range; a server that ignores Range is refused; an object replaced after open is ESTALE, never its new bytes
decoded as the old frames; a missing object is FileNotFoundError. The sidecar index over HTTP, read-only.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import framecodec as fc
from datasets import assert_identical
from remote_corpus import (
    ALL,
    MANY,
    Entry,
    check_pickle,
    check_same,
    many_file,
    native_many_file,
)
from remote_servers import RangeServer

fsspec = pytest.importorskip("fsspec", reason="fsspec is not installed: remote reading needs it")
pytest.importorskip("aiohttp", reason="aiohttp is not installed: fsspec reads HTTP with it")


@pytest.fixture(scope="module")
def served(corpus: dict[str, Entry]) -> Iterator[tuple[RangeServer, dict[str, str]]]:
    """One server for the module's read tests, every corpus file on it (fault tests use a server of their own)."""
    with RangeServer() as server:
        yield server, {name: server.put(f"corpus/{name}.dcm", e.data) for name, e in corpus.items()}


def local(entry: Entry) -> fc.FrameReader:
    return fc.FrameReader(entry.path)


def gets(server: RangeServer) -> list[tuple[int, bool]]:
    return [(e.status, e.reset) for e in server.log if e.method == "GET"]


# ------------------------------------------------------------------------------------------------- reads


@pytest.mark.parametrize("name", ALL)
def test_http_reads_equal_local_reads(
    served: tuple[RangeServer, dict[str, str]], corpus: dict[str, Entry], name: str
) -> None:
    server, urls = served
    with local(corpus[name]) as loc, fc.FrameReader(urls[name]) as remote:
        check_same(remote, loc, corpus[name], url=urls[name])
        check_pickle(remote, loc)


@pytest.mark.parametrize(
    "name", ["deflate-3-fragments-bot", "slide-jpeg444-sparse-empty-bot", "explicit-1bit-off-bytes"]
)
def test_an_fsspec_http_file_object(
    served: tuple[RangeServer, dict[str, str]], corpus: dict[str, Entry], name: str
) -> None:
    _, urls = served
    with fsspec.open(urls[name], "rb").open() as f, local(corpus[name]) as loc, fc.FrameReader(f) as remote:
        check_same(remote, loc, corpus[name], full=False)


# ------------------------------------------------------------------------------------- requests, as the server saw


@pytest.mark.parametrize("name", ["many-eot", "slide-jpeg-grey-eot", "deflate-eot"])
def test_opening_a_file_with_an_extended_offset_table(
    range_server: RangeServer, corpus: dict[str, Entry], name: str
) -> None:
    url = range_server.put("f.dcm", corpus[name].data)
    with fc.FrameReader(url) as r:
        assert range_server.count() <= 4, range_server.log
        assert r.requests == range_server.count(), (r.requests, range_server.log)
        assert r.bytes_read <= 2 << 20
        assert all(e.method == "HEAD" or e.range is not None for e in range_server.log)  # never the whole object


def test_200_random_frames(range_server: RangeServer, corpus: dict[str, Entry]) -> None:
    url = range_server.put("many.dcm", corpus["many-eot"].data)
    pick = np.random.default_rng(11).choice(MANY, 200, replace=False)
    with fc.FrameReader(url) as r, local(corpus["many-eot"]) as loc:
        range_server.reset_counts()
        before = r.requests
        assert_identical(r.read(pick), loc.read(pick))
        assert range_server.count() < 20, range_server.count()
        assert r.requests - before == range_server.count()
        # and every frame alone: one request each at most (none once cached)
        range_server.reset_counts()
        for i in pick[:10].tolist():
            assert_identical(r[i], loc[i])
        assert range_server.count() <= 10


def test_a_repeated_and_an_overlapping_region(range_server: RangeServer, corpus: dict[str, Entry]) -> None:
    url = range_server.put("cache.dcm", corpus["cache-slide"].data)
    a, b, size = (64, 64), (200, 160), (300, 300)
    with fc.FrameReader(url) as r, local(corpus["cache-slide"]) as loc:
        range_server.reset_counts()
        assert_identical(r.read_region(a, size), loc.read_region(a, size))
        first = range_server.count()
        assert first >= 1
        range_server.reset_counts()
        assert_identical(r.read_region(a, size), loc.read_region(a, size))
        assert range_server.count() == 0  # all from the cache
        b0 = r.bytes_read
        assert_identical(r.read_region(b, size), loc.read_region(b, size))
        overlap_bytes = r.bytes_read - b0
    with fc.FrameReader(url) as fresh:
        b0 = fresh.bytes_read
        fresh.read_region(b, size)
        alone_bytes = fresh.bytes_read - b0
    assert overlap_bytes < alone_bytes, (overlap_bytes, alone_bytes)


def test_threads_reading_one_reader_at_once(
    served: tuple[RangeServer, dict[str, str]], corpus: dict[str, Entry]
) -> None:
    """Several Python threads share one remote reader (its connection pool, cache and counters)."""
    from concurrent.futures import ThreadPoolExecutor

    _, urls = served
    rng = np.random.default_rng(2)
    picks = [rng.choice(MANY, 40, replace=False) for _ in range(16)]
    with fc.FrameReader(urls["many-eot"], cache_bytes=1 << 16) as r, local(corpus["many-eot"]) as loc:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(r.read, picks))
        for pick, got in zip(picks, results):
            assert_identical(got, loc.read(pick))


@pytest.mark.parametrize("name", ["dir with space/a#b?.dcm", "ünï/çødé.dcm", "a%20b.dcm"])
def test_names_that_need_quoting(range_server: RangeServer, corpus: dict[str, Entry], name: str) -> None:
    """The URL is sent as given (percent-encoded once): the server is asked for the object's own name."""
    url = range_server.put(name, corpus["rle-eot"].data)
    with fc.FrameReader(url) as r, local(corpus["rle-eot"]) as loc:
        assert_identical(r.read(), loc.read())
    assert {e.name for e in range_server.log} == {name}


def test_a_header_longer_than_the_first_request(range_server: RangeServer, tmp_path: Path) -> None:
    """A TILED_SPARSE slide whose Per-Frame Functional Groups run past the first MiB: the open reads on, and the
    frames' positions come from the whole header."""
    from framecodec._synthetic import slides

    spec = slides.many_frames_spec(
        8000, tile=16, tiling=slides.TILED_SPARSE, shuffle=True, transfer_syntax=slides.DEFLATE, mosaic=8, samples=1
    )
    s = slides.write_slide(tmp_path / "long-header.dcm", spec)
    data = s.path.read_bytes()
    assert data.rfind(b"\xe0\x7f\x10\x00") > 1 << 20  # the Pixel Data starts past the first MiB
    url = range_server.put("long-header.dcm", data)
    with fc.FrameReader(url) as r, fc.FrameReader(s.path) as loc:
        assert range_server.count() <= 4, range_server.log
        assert np.array_equal(r.tile_positions, loc.tile_positions)
        assert np.array_equal(r.tile_positions, s.positions)  # and what was written
        assert_identical(r.read_region((100, 50), (300, 200)), loc.read_region((100, 50), (300, 200)))
        pick = [0, 7999, 4000]
        assert_identical(r[pick], loc[pick])


def test_small_requests_slices_and_walk_blocks(
    range_server: RangeServer, corpus: dict[str, Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The paths large files take, on small files: reads fetched and decoded in many slices, merged requests
    split, the walk of an empty Basic Offset Table in many blocks whose ends fall inside item headers (odd
    sizes). The module constants are the API's own tuning knobs (docs/remote.md)."""
    import framecodec._range_fetch as ranges_module
    import framecodec._remote as remote_module
    import framecodec._spans as spans_module

    monkeypatch.setattr(remote_module, "SLICE_BYTES", 100_000)
    monkeypatch.setattr(spans_module, "WALK_BLOCK", 50_001)
    monkeypatch.setattr(ranges_module, "MAX_REQUEST", 70_001)
    monkeypatch.setattr(ranges_module, "MERGE_GAP", 10_001)
    for name in ["many-empty-bot", "many-eot", "cache-slide"]:
        url = range_server.put(f"{name}.dcm", corpus[name].data)
        range_server.reset_counts()
        with fc.FrameReader(url, index=False) as r, local(corpus[name]) as loc:
            assert_identical(r.read(), loc.read())
            ranges = [e.range for e in range_server.log if e.range is not None and not e.range.startswith("bytes=0-")]
            sizes = [int(b) - int(a) + 1 for a, b in (r[len("bytes=") :].split("-") for r in ranges)]
            assert sizes and max(sizes) <= 70_001 + 100_000, max(sizes)  # split (a frame may pass the limit)
            if corpus[name].slide is not None:
                spec = corpus[name].slide.spec  # type: ignore[union-attr]
                whole = ((0, 0), (spec.width, spec.height))
                assert_identical(r.read_region(*whole), loc.read_region(*whole))
                assert_identical(
                    r.read_region((5, 3), (700, 500), downsample=2), loc.read_region((5, 3), (700, 500), downsample=2)
                )


# ------------------------------------------------------------------------------------------------- faults


@pytest.fixture
def deflated(range_server: RangeServer, corpus: dict[str, Entry]) -> Iterator[tuple[RangeServer, str, fc.FrameReader]]:
    """The many-frame file with an Extended Offset Table on a server of its own, opened (and its local reader)."""
    url = range_server.put("many.dcm", corpus["many-eot"].data)
    with local(corpus["many-eot"]) as loc:
        yield range_server, url, loc


def check_message(e: BaseException, url: str, frame: int, size: int) -> None:
    """The OSError names the URL, the frame and a byte range within the object."""
    __tracebackhide__ = True
    text = str(e)
    assert url in text, text
    assert re.search(rf"\bframes? (\d+, )*{frame}\b", text), text
    m = re.search(r"bytes[ =](\d+)-(\d+)", text)
    assert m is not None, text
    assert 0 <= int(m.group(1)) <= int(m.group(2)) < size, text


def test_two_500s_then_success(deflated: tuple[RangeServer, str, fc.FrameReader]) -> None:
    server, url, loc = deflated
    with fc.FrameReader(url) as r:
        server.reset_counts()
        server.fail_next(2, 500)
        assert_identical(r[4321], loc[4321])
        assert gets(server) == [(500, False), (500, False), (206, False)]
        assert r.read(slice(0, 50)).shape[0] == 50


def test_503_at_open_is_retried(deflated: tuple[RangeServer, str, fc.FrameReader]) -> None:
    server, url, loc = deflated
    server.fail_next(1, 503)
    with fc.FrameReader(url) as r:
        assert_identical(r[[0, MANY - 1]], loc[[0, MANY - 1]])


@pytest.mark.parametrize("retries", [0, 2])
def test_always_500(deflated: tuple[RangeServer, str, fc.FrameReader], retries: int) -> None:
    server, url, loc = deflated
    size = len(server.data("many.dcm"))
    with fc.FrameReader(url, retries=retries) as r:
        server.reset_counts()
        server.always_fail = True
        with pytest.raises(OSError) as e:
            r[4321]
        check_message(e.value, url, 4321, size)
        assert not isinstance(e.value, FileNotFoundError)
        assert gets(server) == [(500, False)] * (retries + 1)
        server.always_fail = False
        assert_identical(r[4321], loc[4321])  # the reader is still usable


def test_always_500_at_open(range_server: RangeServer, corpus: dict[str, Entry]) -> None:
    url = range_server.put("f.dcm", corpus["deflate-eot"].data)
    range_server.always_fail = True
    with pytest.raises(OSError) as e:
        fc.FrameReader(url, retries=1)
    assert url in str(e.value) and not isinstance(e.value, FileNotFoundError)


def test_a_reset_mid_body_is_retried(deflated: tuple[RangeServer, str, fc.FrameReader]) -> None:
    server, url, loc = deflated
    pick = [5, 4000, 5999]
    with fc.FrameReader(url) as r:
        server.reset_counts()
        server.reset_next(1)
        assert_identical(r[pick], loc[pick])
        assert gets(server)[0][1] and not gets(server)[-1][1]
    server.reset_next(1)  # during the open
    with fc.FrameReader(url) as r:
        assert_identical(r[pick], loc[pick])


@pytest.mark.parametrize("fault", ["500", "reset"])
def test_a_fault_during_the_walk_is_retried(range_server: RangeServer, corpus: dict[str, Entry], fault: str) -> None:
    """No offset table: the open walks the Pixel Data after its first request; a fault there is retried too."""
    entry = corpus["many-empty-bot"]
    url = range_server.put("walk.dcm", entry.data)
    if fault == "500":
        range_server.fail_next(1, 500, after=1, name="walk.dcm")  # the object's second GET: not the header's
    else:
        range_server.reset_next(1, after=1, name="walk.dcm")
    with fc.FrameReader(url) as r, local(entry) as loc:
        log = [e for e in range_server.log if e.method == "GET" and e.name == "walk.dcm"]
        assert len(log) >= 3 and (log[1].status == 500 or log[1].reset), log
        assert log[1].range is not None and not log[1].range.startswith("bytes=0-"), log  # past the header
        assert_identical(r.read(), loc.read())


def test_a_fault_reading_the_sidecar_index_is_retried(
    range_server: RangeServer, corpus: dict[str, Entry], tmp_path: Path
) -> None:
    """A 500 answering the look for NAME.fcidx is a failed request like any other: retried (or the index passed
    over and the Pixel Data walked), never the transport's own exception, nor an index taken for absent when it
    is there."""
    entry = corpus["many-empty-bot"]
    url = range_server.put("walk.dcm", entry.data)
    range_server.put("walk.dcm.fcidx", Path(fc.write_index(url, tmp_path / "walk.dcm.fcidx")).read_bytes())
    range_server.fail_next(1, 500, name="walk.dcm.fcidx")
    with fc.FrameReader(url) as r, local(entry) as loc:
        assert_identical(r.read(), loc.read())
    range_server.fail_next(1, 503, name="walk.dcm.fcidx")
    with fc.FrameReader(url) as r:
        assert r.bytes_read < len(entry.data) / 3  # the index was read after all


def test_always_reset(deflated: tuple[RangeServer, str, fc.FrameReader]) -> None:
    server, url, loc = deflated
    size = len(server.data("many.dcm"))
    with fc.FrameReader(url, retries=2) as r:
        server.reset_counts()
        server.reset_next(100)
        with pytest.raises(OSError) as e:
            r[5000]
        check_message(e.value, url, 5000, size)
        assert [reset for _, reset in gets(server)] == [True] * 3


def test_a_server_that_ignores_range(deflated: tuple[RangeServer, str, fc.FrameReader]) -> None:
    server, url, loc = deflated
    with fc.FrameReader(url) as r:
        server.ignore_range = True
        with pytest.raises(OSError, match="Range") as e:
            r[5000]
        assert url in str(e.value)
    # ignored from the start: the open's first range (1 MiB of a 3.6 MB object) comes back whole
    with pytest.raises(OSError, match="Range"):
        fc.FrameReader(url)


def test_a_missing_object_is_file_not_found(range_server: RangeServer) -> None:
    with pytest.raises(FileNotFoundError):
        fc.FrameReader(range_server.url("no/such.dcm"))


@pytest.mark.parametrize(
    ("same_size", "etag"),
    [(True, True), (False, True), (False, False)],
    ids=["same-size", "other-size", "other-size-no-etag"],
)
def test_an_object_replaced_after_open(tmp_path: Path, same_size: bool, etag: bool) -> None:
    """Frames beyond the first MiB read after the object was replaced: ESTALE, never the new object's bytes. A
    server without ETags can tell a replacement only by its size (Content-Range): a same-size replacement there
    cannot be detected, so it is not a case here."""
    if same_size:
        old, new = native_many_file(tmp_path, "a.dcm", 0), native_many_file(tmp_path, "b.dcm", 1)
        assert old.stat().st_size == new.stat().st_size
    else:
        old, new = (many_file(tmp_path, name, extended=True, seed=seed) for name, seed in (("a.dcm", 0), ("b.dcm", 1)))
    with RangeServer(send_etag=etag) as server, fc.FrameReader(old) as loc:
        url = server.put("f.dcm", old.read_bytes())
        n = len(loc)
        with fc.FrameReader(url) as r:
            assert_identical(r[0], loc[0])
            server.replace("f.dcm", new.read_bytes())
            for pick in ([n - 1], [n - 3, n - 2]):
                with pytest.raises(OSError) as e:
                    r.read(pick)
                assert e.value.errno == errno.ESTALE, e.value
                assert "changed" in str(e.value) and url in str(e.value)


def test_a_pickled_reader_refuses_a_replaced_object(range_server: RangeServer, tmp_path: Path) -> None:
    """A reader unpickled (a Dask worker) after the object was replaced: ESTALE, not the new object's frames."""
    import pickle

    old, new = native_many_file(tmp_path, "a.dcm", 0), native_many_file(tmp_path, "b.dcm", 1)
    url = range_server.put("f.dcm", old.read_bytes())
    with fc.FrameReader(url) as r:
        data = pickle.dumps(r)
    range_server.replace("f.dcm", new.read_bytes())
    with pytest.raises(OSError) as e:
        pickle.loads(data).read([390, 399])
    assert e.value.errno == errno.ESTALE


# ------------------------------------------------------------------------------------------ the sidecar index


def test_an_index_beside_an_http_object(range_server: RangeServer, corpus: dict[str, Entry], tmp_path: Path) -> None:
    """HTTP is read-only: the index is written locally (destination=) and put beside the object."""
    entry = corpus["many-empty-bot"]
    url, size = range_server.put("many.dcm", entry.data), len(entry.data)
    with fc.FrameReader(url) as walked:
        walked_bytes = walked.bytes_read
    assert walked_bytes >= 0.9 * size  # no offset table: the open walks the Pixel Data
    where = fc.write_index(url, tmp_path / "many.dcm.fcidx")
    assert where == str(tmp_path / "many.dcm.fcidx")
    range_server.put("many.dcm.fcidx", Path(where).read_bytes())
    range_server.reset_counts()
    with fc.FrameReader(url) as indexed, local(entry) as loc:
        assert ("GET", "many.dcm.fcidx") in range_server.requests
        assert indexed.bytes_read < size / 3, indexed.bytes_read
        assert_identical(indexed.read(), loc.read())
    # stale: the object replaced. Beside it: a warning and the walk; named: an error
    new = many_file(tmp_path, "new.dcm", extended=False, seed=4)
    range_server.replace("many.dcm", new.read_bytes())
    with pytest.warns(UserWarning, match="index"):
        stale = fc.FrameReader(url)
    with stale, fc.FrameReader(new) as loc:
        assert_identical(stale.read(), loc.read())
    with pytest.raises(ValueError, match="index"):
        fc.FrameReader(url, index=range_server.url("many.dcm.fcidx"))
    with pytest.raises(ValueError, match="index"):
        fc.FrameReader(url, index=where)


def test_no_index_beside_an_object_with_an_offset_table_is_looked_for(
    range_server: RangeServer, corpus: dict[str, Entry]
) -> None:
    url = range_server.put("eot.dcm", corpus["many-eot"].data)
    with fc.FrameReader(url):
        assert ("GET", "eot.dcm.fcidx") not in range_server.requests
        assert ("HEAD", "eot.dcm.fcidx") not in range_server.requests


# ---------------------------------------------------------------------------------------- damaged objects


@pytest.mark.parametrize(
    "name", ["explicit-grey8", "deflate-eot", "rle-2-fragments-bot", "deflate-empty-bot", "many-empty-bot"]
)
def test_an_object_cut_short_reads_as_the_file_cut_short(
    range_server: RangeServer, corpus: dict[str, Entry], tmp_path: Path, name: str
) -> None:
    """A copy that stopped early: the local reader opens it and reads its whole frames (whole_frames, truncation);
    the remote reader must do the same, and refuse the missing frames with the same error."""
    full = corpus[name].data
    pixel_data = full.rfind(b"\xe0\x7f\x10\x00")  # (7FE0,0010): cut a third of its value off
    data = full[: len(full) - (len(full) - pixel_data) // 3]
    path = tmp_path / "cut.dcm"
    path.write_bytes(data)
    url = range_server.put("cut.dcm", data)
    with fc.FrameReader(path) as loc:
        whole = loc.whole_frames
        assert whole < len(loc) and loc.truncation is not None
        with fc.FrameReader(url) as r:
            assert (len(r), r.whole_frames) == (len(loc), whole)
            assert r.truncation is not None
            assert_identical(r[:whole], loc[:whole])
            with pytest.raises(fc.EncapsulationError, match="missing"):
                r.read()
            with pytest.raises(fc.EncapsulationError, match="missing"):
                r[len(loc) - 1]


def test_an_empty_object(range_server: RangeServer, tmp_path: Path) -> None:
    """As an empty local file: ValueError saying it is empty (not an I/O error after retries)."""
    url = range_server.put("empty.dcm", b"")
    with pytest.raises(ValueError, match="empty") as e:
        fc.FrameReader(url)
    assert url in str(e.value)


def test_an_object_that_is_not_dicom(range_server: RangeServer) -> None:
    """ValueError naming the object's URL (not a temporary copy of it)."""
    url = range_server.put("noise.dcm", np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    with pytest.raises(ValueError) as e:
        fc.FrameReader(url)
    assert url in str(e.value), str(e.value)
