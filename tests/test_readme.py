"""Every ``python`` block of README.md and docs/*.md runs as written (issue 20).

The blocks run on the example files ``python -m framecodec demo --files DIR`` writes (slide.dcm, seg.dcm,
ct.dcm), each in a fresh folder holding copies of them (a block may write files; the next one must not see
them), as a script of its own in a subprocess (``__name__ == "__main__"``, as when a user runs it), with a timeout.

Markers: an HTML comment on the line before a block's fence (blank lines between are allowed).

- ``<!-- readme-test: skip REASON -->``: the block is not run; the test reports the skip and the reason.
- ``<!-- readme-test: serve URL -->``: URL (ending in ``/``) is served from the block's folder by an HTTP server
  with byte ranges and entity tags (tests/remote_servers.py) that the test starts; the block's text has URL
  replaced by the server's address.

Only blocks whose fence starts a line are taken: an indented block inside a list item is an illustration of a
call (names from the text around it), not a program.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import framecodec
from remote_servers import RangeServer

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TIMEOUT = 300  # seconds a block may take (the Dask block starts a local cluster of processes)
# The subprocesses import the framecodec this test imported (a relative PYTHONPATH would not hold in their folder).
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(Path(framecodec.__file__).resolve().parent.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    ),
}

_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)
# The marker and its argument on one line, then nothing but white space up to the fence.
_MARKER = re.compile(r"<!--[ \t]*readme-test:[ \t]*(\w+)[ \t]*([^\n]*?)[ \t]*-->\s*\Z")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    code: str
    skip: str | None = None
    serve: str | None = None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(text: str, page: str) -> list[Block]:
    found = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        marker = _MARKER.search(text[: m.start()])
        skip = serve = None
        if marker is not None:
            kind, arg = marker.group(1), marker.group(2)
            if kind == "skip":
                skip = arg or "no reason given"
            elif kind == "serve":
                serve = arg
            else:
                raise ValueError(f"{page}:{line}: unknown readme-test marker {kind!r}")
        found.append(Block(page, line, m.group(1), skip, serve))
    return found


ALL = [b for path in PAGES for b in blocks(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]


def test_blocks_found() -> None:
    # Guards the parametrized test below against an extraction that finds nothing (it would pass vacuously).
    readme = [b for b in ALL if b.page == "README.md"]
    assert len(readme) >= 8, [b.id for b in readme]
    assert all(b.skip is None for b in readme), "README's examples must all run"
    assert any("FrameReader(url)" in b.code and b.serve for b in readme)
    assert any('__name__ == "__main__"' in b.code for b in readme)


def test_markers_parsed() -> None:
    # A marker applies to the block right after it, and only to that one.
    text = (
        "<!-- readme-test: skip needs a bucket -->\n```python\nraise SystemExit(1)\n```\n\ntext -->\n\n"
        "```python\nx = 1\n```\n<!-- readme-test: serve https://example.com/ -->\n\n```python\ny = 2\n```\n"
        "  ```python\nindented\n  ```\n"
    )
    got = blocks(text, "page.md")
    assert [(b.line, b.code, b.skip, b.serve) for b in got] == [
        (2, "raise SystemExit(1)\n", "needs a bucket", None),
        (8, "x = 1\n", None, None),
        (13, "y = 2\n", None, "https://example.com/"),
    ]


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example files, written by the command README tells users to run."""
    folder = tmp_path_factory.mktemp("demo-files")
    r = subprocess.run(
        [sys.executable, "-m", "framecodec", "demo", "--files", str(folder)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=ENV,
    )
    assert r.returncode == 0, f"framecodec demo --files failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    for name in ("slide.dcm", "seg.dcm", "ct.dcm"):
        assert (folder / name).is_file(), f"framecodec demo --files wrote no {name}: {sorted(folder.iterdir())}"
    return folder


@pytest.mark.parametrize("block", ALL, ids=[b.id for b in ALL])
def test_block_runs(block: Block, demo_files: Path, tmp_path: Path) -> None:
    if block.skip is not None:
        pytest.skip(f"{block.id}: {block.skip}")
    for f in demo_files.iterdir():
        shutil.copy(f, tmp_path / f.name)
    code = block.code
    server = None
    if block.serve is not None:
        server = RangeServer().start()
        for f in demo_files.iterdir():
            server.put(f.name, f.read_bytes())
        code = code.replace(block.serve, server.base_url + "/")
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    try:
        r = subprocess.run(
            [sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, env=ENV
        )
    finally:
        if server is not None:
            server.stop()
    assert r.returncode == 0, (
        f"{block.id} failed ({r.returncode}):\n{code}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
    )


_FIGURE = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?(?:x\b| (?:ms|MB|GB)\b))")


def test_readme_figures_are_results_rows() -> None:
    """Every performance figure README states (a ratio like 3.85x, a time or a size) is the text of a figure in
    benchmarks/RESULTS.md, which the benchmark run writes; README's code blocks are left out."""
    prose = _BLOCK.sub("", (ROOT / "README.md").read_text(encoding="utf-8"))
    prose = re.sub(r"^```.*?^```$", "", prose, flags=re.S | re.M)
    section = prose[prose.index("## Performance") :]
    section = section[: section.index("\n## ", 1)]
    figures = _FIGURE.findall(section)
    assert len(figures) >= 8, figures
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    missing = [f for f in figures if f not in results]
    assert not missing, f"README's figures not found in benchmarks/RESULTS.md: {missing}"


def _anchors(path: Path) -> set[str]:
    # GitHub's heading anchors: lower case, punctuation but hyphens and underscores dropped, spaces to hyphens.
    text = _BLOCK.sub("", path.read_text(encoding="utf-8"))
    heads = re.findall(r"^#{1,6} (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


@pytest.mark.parametrize("page", PAGES + [ROOT / "CONTRIBUTING.md"], ids=lambda p: p.name)
def test_links_resolve(page: Path) -> None:
    """Every relative link of README.md, CONTRIBUTING.md and docs/*.md names a file that exists, and a heading of
    it when it has an anchor: moving sections between pages must not leave links behind."""
    text = _BLOCK.sub("", page.read_text(encoding="utf-8"))
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    if page.name == "README.md":
        assert len(links) > 10, links  # the extraction works (README links every page of docs/)
    broken = []
    for link in links:
        if re.match(r"[a-z]+://", link):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in _anchors(path)):
            broken.append(link)
    assert not broken, f"{page.name}: broken links {broken}"
