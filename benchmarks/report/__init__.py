"""The benchmark report: ``python -m benchmarks.report`` runs every benchmark file of ``benchmarks/`` (each in a
pytest process of its own, writing pytest-benchmark JSON), then writes ``benchmarks/RESULTS.md``: the machine,
the version of every library, one table per area (throughput, our ratio to each peer and to the copy ceiling),
every goal of the earlier issues with its measured ratio, and the scaling plots next to it.

The pieces: ``run`` (the pytest runs), ``results`` (reading the JSON into groups and goals), ``tables``
(markdown), ``plots`` (matplotlib), ``machine`` (what was measured on), ``commentary.md`` (the paragraphs
under each area's tables, written by hand from the profiles).
"""
