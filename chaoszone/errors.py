"""chaoszone's own errors: everything it raises on purpose is a ``ChaoszoneError``."""

from __future__ import annotations

__all__ = [
    "ChaoszoneError",
    "ExpectationFailed",
    "FaultError",
    "InvalidExperiment",
    "RevertFailed",
    "TargetError",
    "UnsafeTarget",
]


class ChaoszoneError(Exception):
    """Anything chaoszone raised on purpose."""


class InvalidExperiment(ChaoszoneError, ValueError):
    """Bad topology, unknown zone or bad parameters, found before anything changed."""


class ExpectationFailed(ChaoszoneError, AssertionError):
    """The system under test misbehaved: a test failure, not an error."""


class FaultError(ChaoszoneError):
    """A fault could not be injected."""


class RevertFailed(FaultError):
    """A fault could not be undone; always reported, never swallowed."""


class TargetError(ChaoszoneError):
    """The environment is broken: a tool is missing or the API is unreachable."""


class UnsafeTarget(ChaoszoneError):
    """A guard refused to touch a real cluster."""
