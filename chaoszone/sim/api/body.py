"""Request bodies: decode JSON, YAML or protobuf into an object for one resource, and
check its apiVersion, kind and (under ``fieldValidation=Strict``) its fields.

Upstream: staging/src/k8s.io/apiserver/pkg/endpoints/handlers/{create,update,patch}.go
and the strict decoding of k8s.io/apimachinery's JSON serializer.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import yaml

from chaoszone.sim import errors, schema
from chaoszone.sim.api import protobuf
from chaoszone.sim.resources import ResourceType

__all__ = ["MAX_BODY", "decode_object", "field_problems", "load_json", "media_type",
           "parse_json"]

#: kube-apiserver's limit on request bodies (maxRequestBodyBytes, 3 MiB)
MAX_BODY = 3 * 1024 * 1024

JSON_TYPES = ("application/json", "")
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
PROTOBUF = "application/vnd.kubernetes.protobuf"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


class _Duplicates(Exception):
    pass


def _marked(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose members name some key twice: the last value wins, at the key's
    first place (as Go's decoder), and the repeated keys are kept under a marker."""
    out = dict(pairs)
    seen: set[str] = set()
    dupes = []
    for key, _ in pairs:
        if key in seen:
            dupes.append(key)
        seen.add(key)
    out["\x00duplicates"] = dupes
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return value


def parse_json(raw: bytes) -> tuple[Any, bool]:
    """:func:`load_json`, and whether some object in it named a key twice (only then has
    :func:`pop_duplicates` anything to find)."""
    repeated = False

    def pairs(members: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        out = dict(members)
        if len(out) < len(members):
            repeated = True
            return _marked(members)
        return out

    try:
        doc = json.loads(raw, object_pairs_hook=pairs, parse_constant=_constant,
                         parse_float=_float)
    except (ValueError, RecursionError) as exc:
        raise errors.BadRequest(f"json parse error: {exc}") from None
    return doc, repeated


def load_json(raw: bytes) -> Any:
    """Parse JSON as Go would (no NaN or Infinity, no number beyond float64); duplicate keys
    are remembered for strict validation (:func:`pop_duplicates` takes them out)."""
    return parse_json(raw)[0]


class _YamlLoader(yaml.SafeLoader):
    """YAML read as sigs.k8s.io/yaml turns it into JSON (over go-yaml v2): timestamps stay
    the text they were, ``!!binary`` is the decoded text, keys become strings, and keys
    given twice in one mapping are remembered (go-yaml's strict mode reports them)."""

    def __init__(self, stream: bytes) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False
                          ) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {node.id}", node.start_mark)
        own = sum(1 for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)
        merged = len(node.value) - own
        out: dict[str, Any] = {}
        seen: set[str] = set()
        for i, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=True)
            text = _yaml_key(key, key_node)
            if i >= merged:
                if text in seen:
                    shown = json.dumps(key) if isinstance(key, str) else text
                    self.duplicates.append(f"line {key_node.start_mark.line + 1}: key {shown} "
                                           "already set in map")
                seen.add(text)
            out[text] = self.construct_object(value_node, deep=deep)
        return out


def _yaml_key(key: Any, node: yaml.Node) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, str):
        return key
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}.get(str(key), f"{key:g}")
    raise yaml.constructor.ConstructorError(
        None, None, f"unsupported map key of type: {type(key).__name__}", node.start_mark)


def _yaml_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


def _yaml_binary(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    return base64.decodebytes(text.encode()).decode("utf-8", "replace")


def _yaml_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = loader.construct_yaml_float(node)
    if not math.isfinite(value):
        raise yaml.constructor.ConstructorError(
            None, None, f"json: unsupported value: {value}", node.start_mark)
    return value


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _yaml_text)
_YamlLoader.add_constructor("tag:yaml.org,2002:binary", _yaml_binary)
_YamlLoader.add_constructor("tag:yaml.org,2002:float", _yaml_float)


def load_yaml(raw: bytes) -> tuple[Any, list[str]]:
    """The first YAML document (go-yaml reads no further) and its repeated keys, worded as
    go-yaml's strict mode (``line 4: key "name" already set in map``)."""
    try:
        loader = _YamlLoader(raw)  # reads the stream's encoding: may already fail
    except yaml.YAMLError as exc:
        raise errors.BadRequest(f"yaml: {getattr(exc, 'reason', exc)}") from None
    try:
        if not loader.check_node():
            return None, []
        return loader.construct_document(loader.get_node()), loader.duplicates
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise errors.BadRequest(f"yaml: {where}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise errors.BadRequest(f"yaml: {exc}") from None
    except (RecursionError, ValueError):
        raise errors.BadRequest("yaml: document nested too deeply or not valid") from None
    finally:
        loader.dispose()


def _load_yaml(raw: bytes) -> Any:
    return load_yaml(raw)[0]


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


def _summary(raw: bytes) -> str:
    """handlers/rest.go summarizeData(body, 30): how a body that is not an object is shown."""
    if not raw:
        return "<empty>"
    if raw[:1] == b"{":
        return raw[:30].decode(errors="replace") + (" ..." if len(raw) > 30 else "")
    return raw[:30].hex() + (" ..." if len(raw) > 30 else "")


_FIND_KIND = ('struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
              'Kind string "json:\\"kind,omitempty\\"" }')


def decode_object(raw: bytes, content_type: str | None, rt: ResourceType,
                  expect_kind: str | None = None, expect_api_version: str | None = None
                  ) -> tuple[dict[str, Any], list[str]]:
    """Decode a create or update body for ``rt``; returns the object and its strict
    decoding problems other than unknown fields (``duplicate field "spec.replicas"``).

    Failures are upstream's 400s (handlers/rest.go transformDecodeError): a body whose
    kind cannot be read is ``the object provided is unrecognized (must be of type Pod):
    ...``; a field of the wrong JSON type is ``Pod in version "v1" cannot be handled as a
    Pod: json: cannot unmarshal ...``.
    """
    kind = expect_kind or rt.kind
    api_version = expect_api_version or rt.api_version
    media = media_type(content_type)

    def unrecognized(why: str) -> errors.ApiError:
        return errors.BadRequest(f"the object provided is unrecognized (must be of type "
                                 f"{kind}): {why} ({_summary(raw)})")

    problems: list[str] = []
    doc: Any
    marked = True  # whether duplicate-key markers may be in doc
    if media in YAML_TYPES:
        try:
            doc, repeated = load_yaml(raw)
        except errors.ApiError as err:
            raise unrecognized(err.message) from None
        if repeated:
            problems.append("yaml: unmarshal errors:\n  " + "\n  ".join(repeated))
    elif media in JSON_TYPES:
        try:
            if not raw.strip():
                raise errors.BadRequest("unexpected end of JSON input")
            doc, marked = parse_json(raw)
        except errors.ApiError as err:
            why = err.message.removeprefix("json parse error: ")
            raise unrecognized(f"couldn't get version/kind; json parse error: {why}") from None
    else:
        doc = decode_document(raw, content_type)
    if marked:
        problems.extend(f'duplicate field "{d}"' for d in pop_duplicates(doc))
    if doc is None:
        doc = {}  # JSON null and an empty YAML document decode into an empty object
    if not isinstance(doc, dict):
        raise unrecognized(kind_error(doc))
    for key in ("apiVersion", "kind"):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            raise unrecognized(f"couldn't get version/kind; json parse error: json: cannot "
                               f"unmarshal {json_kind(doc[key])} into Go struct field "
                               f".{key} of type string")
    check_type(doc, kind, api_version)
    group, _, version = api_version.rpartition("/")
    type_name = schema.type_for_kind(group, version, kind)
    if type_name is not None:
        wrong = schema.type_error(doc, type_name)
        if wrong:
            sent = (doc.get("apiVersion") or api_version).rpartition("/")[2]
            raise errors.BadRequest(f'{doc.get("kind") or kind} in version "{sent}" cannot '
                                    f"be handled as a {kind}: {wrong}")
    if doc.get("metadata") is None:
        doc["metadata"] = {}
    return doc, problems


def kind_error(doc: Any) -> str:
    """Why a document that is not a JSON object has no kind (json/meta.go Interpret)."""
    if doc is None:
        return "Object 'Kind' is missing in 'null'"
    return (f"couldn't get version/kind; json parse error: json: cannot unmarshal "
            f"{json_kind(doc)} into Go value of type {_FIND_KIND}")


def json_kind(value: Any) -> str:
    """How Go's JSON decoder names a value's JSON type in its errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


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


def field_problems(obj: dict[str, Any], rt: ResourceType, problems: list[str]) -> list[str]:
    """``problems`` (from :func:`decode_object`) and the unknown fields, worded as upstream's
    strict decoding errors."""
    out = list(problems)
    type_name = schema.type_for_kind(rt.group, rt.version, rt.kind)
    if type_name is not None:
        out.extend(f'unknown field "{f}"' for f in schema.unknown_fields(obj, type_name))
    return out
