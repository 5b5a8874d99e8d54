"""Content negotiation and query parameters, as the apiserver reads them.

Upstream: staging/src/k8s.io/apiserver/pkg/endpoints/handlers/negotiation and
k8s.io/apimachinery's query parameter conversion (runtime.Convert_Slice_string_To_bool).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from multidict import MultiMapping

from chaoszone.sim import errors

__all__ = ["Output", "negotiate", "parse_bool", "parse_int", "query_one"]

Form = Literal["object", "table", "metadata", "yaml"]


def parse_bool(name: str, value: str | None, default: bool = False) -> bool:
    """A boolean query parameter as upstream's conversion reads it: absent is ``default``,
    ``0`` and ``false`` (any case) are false, and anything else, even ``yes`` or an empty
    value, is true; it never fails (k8s.io/apimachinery/pkg/runtime/conversion.go)."""
    if value is None:
        return default
    return not (value == "0" or value.lower() == "false")


def parse_int(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.BadRequest(
            f'strconv.ParseInt: parsing "{value}": invalid syntax for query parameter {name}'
        ) from None


def query_one(query: MultiMapping[str], name: str) -> str | None:
    values = query.getall(name, [])
    if not values:
        return None
    return str(values[0])


@dataclass(frozen=True)
class Output:
    """What the client asked to get back."""

    form: Form
    #: ``v1`` or ``v1beta1`` for Table and PartialObjectMetadata
    meta_version: str = "v1"


@lru_cache(maxsize=256)  # clients send the same few headers on every request
def negotiate(accept: str | None) -> Output:
    """Pick the response form from an Accept header, in the client's order of preference."""
    if not accept:
        return Output("object")
    for clause in accept.split(","):
        parts = [p.strip() for p in clause.split(";")]
        media = parts[0].lower()
        params = {}
        for p in parts[1:]:
            if "=" in p:
                k, v = p.split("=", 1)
                params[k.strip()] = v.strip()
        if media in ("application/json", "*/*", "application/*",
                     "application/vnd.kubernetes.protobuf"):
            as_ = params.get("as")
            if as_ is None:
                return Output("object")
            if params.get("g") != "meta.k8s.io" or params.get("v") not in ("v1", "v1beta1"):
                continue
            if as_ == "Table":
                return Output("table", params["v"])
            if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList"):
                return Output("metadata", params["v"])
            continue
        if media in ("application/yaml", "application/x-yaml", "text/yaml"):
            return Output("yaml")
    raise errors.NotAcceptable(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf, application/json;as=Table;v=v1;g=meta.k8s.io")
