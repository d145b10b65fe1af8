"""The test servers of tests/remote_servers.py behave as specified, checked with plain HTTP clients (requests,
fsspec's HTTP filesystem, s3fs): ranges, entity tags, conditional requests and the injected faults. The remote
reading tests (test_remote.py, test_remote_http.py) rely on every one of these behaviours."""

from __future__ import annotations

import os
import threading

import pytest

from remote_servers import MotoS3, RangeServer, parse_range

requests = pytest.importorskip("requests", reason="requests is not installed")

DATA = os.urandom(10_000)


def test_whole_object_head_and_404(range_server: RangeServer) -> None:
    url = range_server.put("a/b.dcm", DATA)
    assert url.endswith("/a/b.dcm")
    r = requests.get(url, timeout=10)
    assert r.status_code == 200 and r.content == DATA
    assert r.headers["Content-Length"] == str(len(DATA)) and r.headers["Accept-Ranges"] == "bytes"
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    h = requests.head(url, timeout=10)
    assert h.status_code == 200 and h.headers["Content-Length"] == str(len(DATA)) and h.content == b""
    assert h.headers["ETag"] == etag
    assert requests.get(range_server.url("nope"), timeout=10).status_code == 404
    assert requests.head(range_server.url("nope"), timeout=10).status_code == 404
    assert range_server.requests == {
        ("GET", "a/b.dcm"): 1,
        ("HEAD", "a/b.dcm"): 1,
        ("GET", "nope"): 1,
        ("HEAD", "nope"): 1,
    }
    range_server.reset_counts()
    assert range_server.count() == 0


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=100-199", 100, 199),
        ("bytes=9990-", 9990, 9999),
        ("bytes=9000-20000", 9000, 9999),
        ("bytes=-10", 9990, 9999),
        ("bytes=-20000", 0, 9999),
    ],
)
def test_ranges(range_server: RangeServer, header: str, first: int, last: int) -> None:
    url = range_server.put("f", DATA)
    r = requests.get(url, headers={"Range": header}, timeout=10)
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes {first}-{last}/{len(DATA)}"
    assert r.headers["Content-Length"] == str(last - first + 1)
    assert r.content == DATA[first : last + 1]
    assert range_server.log[-1].range == header


@pytest.mark.parametrize("header", ["bytes=10000-", "bytes=10000-10005", "bytes=-0"])
def test_unsatisfiable_range(range_server: RangeServer, header: str) -> None:
    url = range_server.put("f", DATA)
    r = requests.get(url, headers={"Range": header}, timeout=10)
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{len(DATA)}"


@pytest.mark.parametrize("header", ["bytes=5-2", "items=0-5", "bytes=0-1,5-6", "bytes=x-y"])
def test_ranges_it_ignores(range_server: RangeServer, header: str) -> None:
    url = range_server.put("f", DATA)
    r = requests.get(url, headers={"Range": header}, timeout=10)
    assert r.status_code == 200 and r.content == DATA


def test_parse_range() -> None:
    assert parse_range("bytes=0-", 0) == "unsatisfiable"
    assert parse_range("bytes=3-3", 4) == (3, 3)
    assert parse_range("bytes=4-", 4) == "unsatisfiable"


def test_etag_changes_when_replaced_and_if_match(range_server: RangeServer) -> None:
    url = range_server.put("f", DATA)
    old = requests.head(url, timeout=10).headers["ETag"]
    r = requests.get(url, headers={"Range": "bytes=0-9", "If-Match": old}, timeout=10)
    assert r.status_code == 206 and r.content == DATA[:10]
    assert requests.get(url, headers={"If-Match": "*"}, timeout=10).status_code == 200
    range_server.replace("f", DATA)  # the same bytes: still a new object
    new = requests.head(url, timeout=10).headers["ETag"]
    assert new != old and new == range_server.etag("f")
    r = requests.get(url, headers={"Range": "bytes=0-9", "If-Match": old}, timeout=10)
    assert r.status_code == 412 and r.content != DATA[:10]
    assert requests.get(url, headers={"If-Match": f'"other", {new}'}, timeout=10).status_code == 200
    assert requests.get(url, headers={"If-Match": f"W/{new}"}, timeout=10).status_code == 412  # strong comparison
    # If-Range with the old tag: the whole (new) object, 200
    r = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": old}, timeout=10)
    assert r.status_code == 200 and len(r.content) == len(DATA)
    with pytest.raises(KeyError):
        range_server.replace("never-put", DATA)


def test_no_etag() -> None:
    with RangeServer(send_etag=False) as server:
        url = server.put("f", DATA)
        r = requests.get(url, headers={"Range": "bytes=0-3"}, timeout=10)
        assert r.status_code == 206 and "ETag" not in r.headers and "Last-Modified" in r.headers


def test_fail_next(range_server: RangeServer) -> None:
    url = range_server.put("f", DATA)
    range_server.fail_next(2)
    range_server.fail_next(1, status=503)
    s = requests.Session()  # one keep-alive connection: error answers must not break it
    assert [s.get(url, timeout=10).status_code for _ in range(4)] == [500, 500, 503, 200]
    assert s.head(url, timeout=10).status_code == 200  # HEAD is never failed
    assert [e.status for e in range_server.log] == [500, 500, 503, 200, 200]


def test_faults_after_some_answers(range_server: RangeServer) -> None:
    url = range_server.put("f", DATA)
    range_server.fail_next(1, 502, after=2)
    range_server.reset_next(1, after=1)
    codes = []
    for _ in range(6):
        try:
            r = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
            codes.append(r.status_code if len(r.content) == 100 or r.status_code != 206 else -1)
        except requests.exceptions.RequestException:
            codes.append("reset")
    assert codes == [206, 206, 502, 206, "reset", 206]
    assert [e.reset for e in range_server.log] == [False, False, False, False, True, False]


def test_faults_for_one_name(range_server: RangeServer) -> None:
    a, b = range_server.put("a", DATA), range_server.put("b", DATA)
    range_server.fail_next(1, 500, after=1, name="b")
    codes = [requests.get(u, timeout=10).status_code for u in (b, a, a, b, b)]
    assert codes == [200, 200, 200, 500, 200]


def test_always_fail(range_server: RangeServer) -> None:
    url = range_server.put("f", DATA)
    range_server.always_fail = True
    assert {requests.get(url, timeout=10).status_code for _ in range(3)} == {500}
    assert requests.head(url, timeout=10).status_code == 200
    range_server.clear_faults()
    assert requests.get(url, timeout=10).status_code == 200


def test_reset_next(range_server: RangeServer) -> None:
    url = range_server.put("f", DATA)
    range_server.reset_next(2)
    for _ in range(2):
        with pytest.raises(requests.exceptions.RequestException):
            r = requests.get(url, headers={"Range": "bytes=0-9999"}, timeout=10)
            r.content
    r = requests.get(url, headers={"Range": "bytes=0-9999"}, timeout=10)
    assert r.status_code == 206 and r.content == DATA
    assert [(e.status, e.reset) for e in range_server.log] == [(206, True), (206, True), (206, False)]


def test_reset_mid_body_seen_by_fsspec(range_server: RangeServer) -> None:
    """fsspec's HTTP filesystem (aiohttp) sees the reset as an error, never as a short read."""
    fsspec = pytest.importorskip("fsspec")
    pytest.importorskip("aiohttp")
    url = range_server.put("f", DATA)
    fs = fsspec.filesystem("http", skip_instance_cache=True)
    assert fs.cat_file(url, start=100, end=200) == DATA[100:200]
    range_server.reset_next(1)
    with pytest.raises(Exception) as e:
        fs.cat_file(url, start=0, end=len(DATA))
    assert not isinstance(e.value, AssertionError)
    assert fs.cat_file(url, start=0, end=len(DATA)) == DATA


def test_ignore_range(range_server: RangeServer) -> None:
    url = range_server.put("f", DATA)
    range_server.ignore_range = True
    r = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert r.status_code == 200 and r.content == DATA and "Content-Range" not in r.headers


def test_fsspec_http_reads_ranges(range_server: RangeServer) -> None:
    fsspec = pytest.importorskip("fsspec")
    pytest.importorskip("aiohttp")
    url = range_server.put("dir/f.dcm", DATA)
    fs = fsspec.filesystem("http", skip_instance_cache=True)
    info = fs.info(url)
    assert info["size"] == len(DATA) and info["ETag"] == range_server.etag("dir/f.dcm")
    assert fs.cat_file(url, start=1234, end=5678) == DATA[1234:5678]
    with fs.open(url, "rb", block_size=1024) as f:
        f.seek(9000)
        assert f.read(500) == DATA[9000:9500]
    assert all(e.range is not None for e in range_server.log if e.method == "GET")


def test_concurrent_requests_are_counted(range_server: RangeServer) -> None:
    url = range_server.put("f", DATA)

    got: dict[int, bytes] = {}

    def fetch(i: int) -> None:
        got[i] = requests.get(url, headers={"Range": f"bytes={i}-{i + 9}"}, timeout=10).content

    threads = [threading.Thread(target=fetch, args=(i * 10,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {i * 10: DATA[i * 10 : i * 10 + 10] for i in range(20)}
    assert range_server.count("GET", "f") == 20


def test_stop_with_an_idle_keep_alive_connection() -> None:
    server = RangeServer().start()
    url = server.put("f", DATA)
    s = requests.Session()
    assert s.get(url, timeout=10).status_code == 200  # the connection stays open
    server.stop()  # must not wait for it
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=5)


# ------------------------------------------------------------------------------------------------ moto


def test_moto_s3_put_ranges_and_etag(s3: MotoS3) -> None:
    import fsspec

    url = s3.put("self-test/a.bin", DATA)
    assert url == f"s3://{s3.bucket}/self-test/a.bin"
    fs = fsspec.filesystem("s3", **s3.storage_options)
    assert fs.cat_file(url, start=100, end=300) == DATA[100:300]
    info = fs.info(url)
    assert info["size"] == len(DATA)
    etag = info["ETag"]
    s3.put("self-test/a.bin", DATA[::-1])
    assert s3.etag("self-test/a.bin") != etag
    assert s3.get("self-test/a.bin") == DATA[::-1]
    assert s3.storage_options["client_kwargs"]["endpoint_url"] == s3.endpoint
    assert s3.endpoint.startswith("http://127.0.0.1:")
    s3.storage_options["key"] = "changed"  # a copy: the fixture's own is unchanged
    assert s3.storage_options["key"] == "testing"


def test_moto_s3_with_boto3_and_if_match(s3: MotoS3) -> None:
    boto3 = pytest.importorskip("boto3")
    from botocore.exceptions import ClientError

    s3.put("self-test/b.bin", DATA)
    client = boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=s3.region,
    )
    head = client.head_object(Bucket=s3.bucket, Key="self-test/b.bin")
    got = client.get_object(Bucket=s3.bucket, Key="self-test/b.bin", Range="bytes=10-19", IfMatch=head["ETag"])
    assert got["Body"].read() == DATA[10:20] and got["ContentRange"] == f"bytes 10-19/{len(DATA)}"
    s3.put("self-test/b.bin", DATA[::-1])
    with pytest.raises(ClientError) as e:
        client.get_object(Bucket=s3.bucket, Key="self-test/b.bin", Range="bytes=10-19", IfMatch=head["ETag"])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError) as e:
        client.head_object(Bucket=s3.bucket, Key="self-test/missing.bin")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
