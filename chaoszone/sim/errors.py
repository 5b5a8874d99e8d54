"""Kubernetes API errors raised inside the simulator.

Every failure the simulator reports to a client is one of these; the API layer turns
it into a ``meta/v1 Status`` body with upstream's code and reason
(k8s.io/apimachinery/pkg/api/errors). Nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AlreadyExists",
    "ApiError",
    "BadRequest",
    "Cause",
    "Conflict",
    "Forbidden",
    "Gone",
    "Invalid",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "RequestEntityTooLarge",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
]


@dataclass(frozen=True)
class Cause:
    """One ``details.causes`` entry: what is wrong with which field."""

    reason: str
    message: str
    field: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"reason": self.reason, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


@dataclass
class ApiError(Exception):
    """A failure with an HTTP code and a ``Status`` reason."""

    code: int
    reason: str
    message: str
    kind: str = ""
    name: str = ""
    group: str = ""
    causes: list[Cause] = field(default_factory=list)
    retry_after: int | None = None
    #: ``metadata.continue`` of the Status (a 410 for an expired continue token offers one)
    continue_token: str = ""

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    def __str__(self) -> str:
        return self.message

    def status(self) -> dict[str, Any]:
        """The ``Status`` object a real kube-apiserver would send."""
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {"continue": self.continue_token} if self.continue_token else {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        details: dict[str, Any] = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.to_dict() for c in self.causes]
        if self.retry_after is not None:
            details["retryAfterSeconds"] = self.retry_after
        # NewNotFound and NewGenericServerResponse (go-restful's 404 and 405 for paths and
        # methods nothing serves) always set Details, so the JSON has at least ``{}``:
        # kubectl debug reads Details.Name of a 404 without a nil check.
        if details or self.code in (404, 405):
            out["details"] = details
        return out


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def NotFound(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(404, "NotFound", f'{_qualified(resource, group)} "{name}" not found',
                    kind=resource, name=name, group=group)


def AlreadyExists(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(409, "AlreadyExists", f'{_qualified(resource, group)} "{name}" already exists',
                    kind=resource, name=name, group=group)


def Conflict(resource: str, name: str, why: str, group: str = "") -> ApiError:
    return ApiError(409, "Conflict",
                    f'Operation cannot be fulfilled on {_qualified(resource, group)} '
                    f'"{name}": {why}',
                    kind=resource, name=name, group=group)


def Invalid(kind: str, name: str, causes: list[Cause], group: str = "") -> ApiError:
    """422 with field causes, worded like ``errors.NewInvalid``."""
    qualified = f"{kind}.{group}" if group else kind
    parts = [f"{c.field}: {c.message}" if c.field else c.message for c in causes]
    text = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {text}',
                    kind=kind, name=name, group=group, causes=causes)


def BadRequest(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def Unauthorized(message: str = "Unauthorized") -> ApiError:
    return ApiError(401, "Unauthorized", message)


def Forbidden(message: str, resource: str = "", name: str = "", group: str = "") -> ApiError:
    return ApiError(403, "Forbidden", message, kind=resource, name=name, group=group)


def MethodNotAllowed(message: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


def NotAcceptable(message: str) -> ApiError:
    return ApiError(406, "NotAcceptable", message)


def Gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def RequestEntityTooLarge(message: str) -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", message)


#: what kube-apiserver decodes a create or update body from (the built-in kinds' serializers)
BODY_MEDIA_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")


def UnsupportedMediaType(content_type: str, accepted: tuple[str, ...] = BODY_MEDIA_TYPES
                         ) -> ApiError:
    """415 as negotiation.NewUnsupportedMediaTypeError words it: the accepted types only
    (``content_type``, the one sent, is not part of upstream's message)."""
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    f"include: {', '.join(accepted)}")


def TooManyRequests(message: str, causes: list[Cause] | None = None) -> ApiError:
    return ApiError(429, "TooManyRequests", message, causes=list(causes or []))


def ServiceUnavailable(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)
