"""chaoszone's benchmarks: ``python -m bench [name ...]`` from the repository root.

One module per benchmark; each has ``run() -> list[str]`` returning its result lines.
Results are recorded in ``docs/performance.md``. Benchmarks are never timed tests and
never run in ``make test``.
"""
