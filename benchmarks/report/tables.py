"""Markdown tables of the results: one per area (every group: each implementation's median, decoded MB/s, the
ratio of its time to framecodec's, framecodec's time over the copy ceiling), and the goal table."""

from __future__ import annotations

from .results import CEILING, Goal, Group, natural


def _time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.1f} µs"
    return f"{seconds * 1e3:,.2f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def area_table(groups: list[Group]) -> str:
    lines = [
        "| group | implementation | threads | median | MB/s | time / framecodec's |",
        "|---|---|---|---|---|---|",
    ]
    for g in sorted(groups, key=lambda g: (g.environment, natural(g.name))):
        ours = g.ours
        base = g.medians.get(ours) if ours else None
        title = g.name + (f" ({g.environment})" if g.environment else "")
        ceiling = g.medians.get(CEILING)
        if base and ceiling:
            title += f"; framecodec = {base / ceiling:.2f}x the copy"
        first = True
        # Encoders at every level: in level order (the ratio beside each says what the time buys); else fastest first.
        order = (lambda kv: natural(kv[0])) if g.encoded else (lambda kv: kv[1])
        for impl, median in sorted(g.medians.items(), key=order):
            mbs = f"{g.nbytes / median / 1e6:,.0f}" if g.nbytes and median > 0 else ""
            ratio = "" if base is None or impl == ours else f"{median / base:.2f}x"
            shared = "" if impl in g.interleaved or len(g.interleaved) == 0 else " †"
            threads = str(g.threads.get(impl, ""))
            name = f"**{impl}**" if impl == ours else impl
            if g.encoded.get(impl) and g.nbytes:
                name += f" ({g.nbytes / g.encoded[impl]:.2f}:1)"  # an encoder's compression ratio
            lines.append(
                f"| {title if first else ''} | {name}{shared} | {threads} | {_time(median)} | {mbs} | {ratio} |"
            )
            first = False
        for peer, why in sorted(g.missing.items()):
            lines.append(f"| {title if first else ''} | {peer} | | missing | | {why} |")
            first = False
    return "\n".join(lines)


def goal_table(goals: list[Goal]) -> str:
    lines = ["| area | goal | target | measured | met |", "|---|---|---|---|---|"]
    for g in goals:
        where = g.area + (f" ({g.environment})" if g.environment else "")
        if g.seconds is not None:
            target, measured = f"< {_time(g.target)}", _time(g.seconds)
        else:
            target = f"{'≤' if g.at_most else '≥'} {g.target:.2f}x"
            # more decimals where two would round a miss up to the target (0.9998x, not 1.00x)
            digits = 2
            while g.ratio is not None and g.met is False and digits < 6 and round(g.ratio, digits) == g.target:
                digits += 1
            measured = f"{g.ratio:.{digits}f}x" if g.ratio is not None else f"not measured: {g.why}"
        met = {True: "yes", False: "**no**", None: "-"}[g.met]
        lines.append(f"| {where} | {g.text} | {target} | {measured} | {met} |")
    return "\n".join(lines)
