"""The embedded cluster simulator: a Kubernetes API server on loopback.

Private to the package: only ``chaoszone.targets.sim`` (and the CLI) use it.
"""
