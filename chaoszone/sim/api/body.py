"""Request bodies: decode JSON, YAML or protobuf into an object for one resource, and
check its apiVersion, kind and (under ``fieldValidation=Strict``) its fields.

Upstream: staging/src/k8s.io/apiserver/pkg/endpoints/handlers/{create,update,patch}.go
and the strict decoding of k8s.io/apimachinery's JSON serializer.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from chaoszone.sim import errors, schema
from chaoszone.sim.api import protobuf
from chaoszone.sim.resources import ResourceType

__all__ = ["MAX_BODY", "decode_object", "field_problems", "load_json", "media_type"]

#: kube-apiserver's limit on request bodies (maxRequestBodyBytes, 3 MiB)
MAX_BODY = 3 * 1024 * 1024

JSON_TYPES = ("application/json", "")
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
PROTOBUF = "application/vnd.kubernetes.protobuf"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


class _Duplicates(Exception):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    dupes = []
    for key, value in pairs:
        if key in out:
            dupes.append(key)
        out[key] = value
    if dupes:
        out["\x00duplicates"] = dupes
    return out


def load_json(raw: bytes) -> Any:
    """Parse JSON; duplicate keys are remembered for strict validation."""
    try:
        return json.loads(raw, object_pairs_hook=_pairs)
    except (ValueError, RecursionError) as exc:
        raise errors.BadRequest(f"json parse error: {exc}") from None


def _load_yaml(raw: bytes) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise errors.BadRequest(f"yaml parse error: {exc}") from None
    except RecursionError:
        raise errors.BadRequest("yaml parse error: document nested too deeply") from None


def decode_document(raw: bytes, content_type: str | None) -> Any:
    """Decode a body by its media type (a missing Content-Type is JSON, as upstream)."""
    media = media_type(content_type)
    if media in JSON_TYPES:
        return load_json(raw)
    if media in YAML_TYPES:
        return _load_yaml(raw)
    if media == PROTOBUF:
        return protobuf.decode(raw)
    raise errors.UnsupportedMediaType(media)


def pop_duplicates(obj: Any, path: str = "") -> list[str]:
    """Remove and return the duplicate-key markers left by :func:`load_json`."""
    found: list[str] = []
    if isinstance(obj, dict):
        for key in obj.pop("\x00duplicates", []):
            found.append(f"{path}{key}")
        for key, value in obj.items():
            found.extend(pop_duplicates(value, f"{path}{key}."))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            found.extend(pop_duplicates(value, f"{path[:-1]}[{i}]." if path else f"[{i}]."))
    return found


def decode_object(raw: bytes, content_type: str | None, rt: ResourceType,
                  expect_kind: str | None = None, expect_api_version: str | None = None
                  ) -> tuple[dict[str, Any], list[str]]:
    """Decode a create or update body for ``rt``; returns the object and duplicate fields."""
    if not raw.strip():
        raise errors.BadRequest("the body of the request was empty")
    doc = decode_document(raw, content_type)
    duplicates = pop_duplicates(doc)
    if not isinstance(doc, dict):
        raise errors.BadRequest(
            f"couldn't get version/kind; json parse error: expected an object, got "
            f"{type(doc).__name__}")
    check_type(doc, expect_kind or rt.kind, expect_api_version or rt.api_version)
    if "metadata" in doc and not isinstance(doc["metadata"], dict | None):
        raise errors.BadRequest(
            f"{doc.get('kind', rt.kind)} in version \"{rt.version}\" cannot be handled as a "
            f"{rt.kind}: json: cannot unmarshal {type(doc['metadata']).__name__} into Go struct "
            f"field {rt.kind}.metadata of type v1.ObjectMeta")
    if doc.get("metadata") is None:
        doc["metadata"] = {}
    return doc, duplicates


def check_type(doc: dict[str, Any], kind: str, api_version: str) -> None:
    """The body's apiVersion and kind, when given, must be the endpoint's."""
    body_version = doc.get("apiVersion")
    body_kind = doc.get("kind")
    if body_version is not None and not isinstance(body_version, str):
        raise errors.BadRequest("couldn't get version/kind; json parse error: apiVersion must be "
                                "a string")
    if body_kind is not None and not isinstance(body_kind, str):
        raise errors.BadRequest("couldn't get version/kind; json parse error: kind must be a "
                                "string")
    if body_version and body_version != api_version:
        raise errors.BadRequest(
            f"the API version in the data ({body_version}) does not match the expected API "
            f"version ({api_version})")
    if body_kind and body_kind != kind:
        version = api_version.rsplit("/", 1)[-1]
        raise errors.BadRequest(
            f'{body_kind} in version "{version}" cannot be handled as a {kind}: the kind in the '
            f"data ({body_kind}) does not match the expected kind ({kind})")


def field_problems(obj: dict[str, Any], rt: ResourceType, duplicates: list[str]) -> list[str]:
    """Unknown and duplicate fields, worded as upstream's strict decoding errors."""
    problems = [f'duplicate field "{d}"' for d in duplicates]
    type_name = schema.type_for_kind(rt.group, rt.version, rt.kind)
    if type_name is not None:
        problems.extend(f'unknown field "{f}"' for f in schema.unknown_fields(obj, type_name))
    return problems
