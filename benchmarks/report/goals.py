"""The goals of issues 2-4 (the kernels), computed from the groups' medians: those benchmarks time each
implementation on its own (pytest-benchmark groups) or interleaved, and record no goal themselves. Issues 7-9's
goals are recorded by their benchmarks (``extra_info["goals"]``) from interleaved rounds, as are those of later
issues (issue 19's by bench_remote.py: they need the requests each round counted, which the groups' medians lack)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .results import Goal, Group


@dataclass(frozen=True)
class Spec:
    area: str
    text: str
    group: str  # a regular expression: every group it matches is one goal row
    peers: tuple[str, ...]  # the ratio is against the fastest of these present
    target: float  # a ratio; with no peers, a time limit in seconds
    ours: str = "framecodec"


SPECS = [
    Spec("bitpack", "issue 2: unpack_bits at least 1.5x numpy.unpackbits", r"^unpack_bits", ("numpy",), 1.5),
    Spec("deflate", "issue 2: deflate (zlib backend) at least 1.0x Python's zlib", r"^deflate level 6", ("zlib",), 1.0),
    Spec(
        "rle",
        "issue 3: RLE decode at least 1.3x the faster of imagecodecs and pylibjpeg-rle",
        r"^rle decode",
        ("imagecodecs", "pylibjpeg-rle"),
        1.3,
    ),
    Spec("rle", "issue 3: RLE encode at least 1.3x pylibjpeg-rle", r"^rle encode", ("pylibjpeg-rle",), 1.3),
    Spec("rle", "issue 3: RLE encode at least 50x pydicom's encoder", r"^rle encode", ("pydicom",), 50.0),
    Spec(
        "encaps",
        "issue 4: frame table at least 50x pydicom's parse_fragments",
        r"^frame table",
        ("pydicom parse_fragments",),
        50.0,
    ),
    Spec(
        "encaps",
        "issue 4: frame table at least 100x iterating pydicom's generate_frames",
        r"^frame table",
        ("pydicom iterate generate_frames",),
        100.0,
    ),
    Spec("encaps", "issue 4: path to complete frame table under 10 ms", r"^path to complete frame table", (), 0.010),
]


def _match(impl: str, name: str) -> bool:
    return impl == name or impl.startswith(name + " ")


def evaluate(groups: list[Group], specs: list[Spec] = SPECS) -> list[Goal]:
    out = []
    for spec in specs:
        for g in groups:
            if g.area != spec.area or not re.search(spec.group, g.name, re.IGNORECASE):
                continue
            ours = g.medians.get(spec.ours)
            if not spec.peers:  # a time limit
                if ours is not None:
                    out.append(
                        Goal(spec.area, f"{spec.text}: {g.name}", spec.target, True, None, ours, "", g.environment)
                    )
                continue
            peers = [m for impl, m in g.medians.items() for p in spec.peers if _match(impl, p)]
            text = f"{spec.text}: {g.name}"
            if ours is None or not peers:
                missing = [p for p in spec.peers if p in g.missing]
                why = f"{', '.join(missing)} missing" if missing else "not in this group"
                if ours is not None and missing:
                    out.append(Goal(spec.area, text, spec.target, False, None, None, why, g.environment))
                continue
            out.append(Goal(spec.area, text, spec.target, False, min(peers) / ours, None, "", g.environment))
    return out
