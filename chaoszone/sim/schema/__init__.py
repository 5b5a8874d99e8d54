"""The Kubernetes 1.32 schema table: what every field of every built-in type is.

This module owns the read side of ``k8s-1.32.json.gz`` (written by
``python -m chaoszone.sim.schema.generate``). The data is upstream Kubernetes' OpenAPI
definitions for v1.32 (Apache-2.0, The Kubernetes Authors), taken from the
``kubernetes-validate`` package; :func:`source` returns the full attribution.

Strategic merge patch, server-side apply, strict field validation and the OpenAPI
documents all read it through the functions here. The file is loaded once, on first
use; definitions are built lazily and cached.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, datetime, timedelta
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = [
    "Definition",
    "Field",
    "GroupVersionKind",
    "definition",
    "definition_names",
    "field",
    "gvks",
    "normalize_times",
    "prune_unknown_fields",
    "raw_definition",
    "required",
    "source",
    "type_error",
    "type_for_kind",
    "unknown_fields",
]

_DATA_FILE = "k8s-1.32.json.gz"


@dataclass(frozen=True)
class GroupVersionKind:
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True)
class Field:
    """One property of a definition, or the element type of an array or map.

    ``type`` is the JSON type (``string``, ``integer``, ``number``, ``boolean``,
    ``object``, ``array``) or None when the field is a ``ref`` to another definition.
    """

    name: str
    type: str | None = None
    ref: str | None = None
    format: str | None = None
    #: element type of an array
    items: Field | None = None
    #: value type of a map (``additionalProperties``)
    values: Field | None = None
    enum: tuple[str, ...] = ()
    #: upstream default (only kept where server-side apply needs it: list-map keys)
    default: str | int | bool | None = None
    #: ``x-kubernetes-patch-strategy`` split on commas, e.g. ``("merge", "retainKeys")``
    patch_strategy: tuple[str, ...] = ()
    merge_key: str | None = None
    #: ``x-kubernetes-list-type``: ``atomic``, ``set`` or ``map``
    list_type: str | None = None
    map_keys: tuple[str, ...] = ()
    #: ``x-kubernetes-map-type``: ``atomic`` or ``granular``
    map_type: str | None = None
    description: str = dc_field(default="", compare=False)

    @property
    def items_ref(self) -> str | None:
        return self.items.ref if self.items else None

    @property
    def items_type(self) -> str | None:
        return self.items.type if self.items else None

    @property
    def values_ref(self) -> str | None:
        return self.values.ref if self.values else None

    @property
    def values_type(self) -> str | None:
        return self.values.type if self.values else None


@dataclass(frozen=True)
class Definition:
    """A named type, e.g. ``io.k8s.api.core.v1.PodSpec``.

    Scalars with a custom JSON form have ``one_of`` (IntOrString: integer or string;
    Quantity: string or number) or a ``type`` and ``format`` (Time: ``date-time``).
    ``object`` definitions without properties (RawExtension, FieldsV1) hold free-form JSON.
    """

    name: str
    type: str | None
    format: str | None
    one_of: tuple[str, ...]
    required: tuple[str, ...]
    gvks: tuple[GroupVersionKind, ...]
    map_type: str | None
    properties: Mapping[str, Field] = dc_field(compare=False, hash=False)
    description: str = dc_field(default="", compare=False)

    @property
    def is_free_form(self) -> bool:
        return self.type == "object" and not self.properties


class _Table:
    """The loaded file; one instance per process, built on first use."""

    def __init__(self) -> None:
        raw = resources.files(__name__).joinpath(_DATA_FILE).read_bytes()
        data: dict[str, Any] = json.loads(gzip.decompress(raw))
        self.source: str = data["source"]
        self.raw: dict[str, dict[str, Any]] = data["definitions"]
        self.built: dict[str, Definition] = {}
        self.by_gvk: dict[tuple[str, str, str], str] = {}
        for name, entry in self.raw.items():
            for g in entry.get("gvk", ()):
                self.by_gvk.setdefault((g["group"], g["version"], g["kind"]), name)


_table: _Table | None = None


def _data() -> _Table:
    global _table
    if _table is None:
        _table = _Table()
    return _table


def _field(name: str, raw: dict[str, Any]) -> Field:
    strategy = raw.get("patchStrategy")
    return Field(
        name=name,
        type=raw.get("type"),
        ref=raw.get("ref"),
        format=raw.get("format"),
        items=_field(name, raw["items"]) if "items" in raw else None,
        values=_field(name, raw["values"]) if "values" in raw else None,
        enum=tuple(raw.get("enum", ())),
        default=raw.get("default"),
        patch_strategy=tuple(strategy.split(",")) if strategy else (),
        merge_key=raw.get("mergeKey"),
        list_type=raw.get("listType"),
        map_keys=tuple(raw.get("mapKeys", ())),
        map_type=raw.get("mapType"),
        description=raw.get("description", ""),
    )


def source() -> str:
    """Where the data comes from, and under which licence."""
    return _data().source


def definition(type_name: str) -> Definition | None:
    """The definition called ``type_name`` (e.g. ``io.k8s.api.core.v1.Pod``), if known."""
    table = _data()
    built = table.built.get(type_name)
    if built is not None:
        return built
    raw = table.raw.get(type_name)
    if raw is None:
        return None
    built = Definition(
        name=type_name,
        type=raw.get("type"),
        format=raw.get("format"),
        one_of=tuple(raw.get("oneOf", ())),
        required=tuple(raw.get("required", ())),
        gvks=tuple(GroupVersionKind(g["group"], g["version"], g["kind"])
                   for g in raw.get("gvk", ())),
        map_type=raw.get("mapType"),
        properties=MappingProxyType(
            {name: _field(name, prop) for name, prop in raw.get("properties", {}).items()}),
        description=raw.get("description", ""),
    )
    table.built[type_name] = built
    return built


def raw_definition(type_name: str) -> Mapping[str, Any] | None:
    """The stored (JSON) form of a definition, for renderers such as the OpenAPI documents."""
    raw = _data().raw.get(type_name)
    return MappingProxyType(raw) if raw is not None else None


def definition_names() -> tuple[str, ...]:
    """Every definition in the table, sorted."""
    return tuple(sorted(_data().raw))


def type_for_kind(group: str, version: str, kind: str) -> str | None:
    """The definition name of a kind, e.g. ``("apps", "v1", "Deployment")``."""
    return _data().by_gvk.get((group, version, kind))


def gvks(type_name: str) -> tuple[GroupVersionKind, ...]:
    found = definition(type_name)
    return found.gvks if found else ()


def field(type_name: str, name: str) -> Field | None:
    """The property ``name`` of definition ``type_name``, or None if it has none."""
    found = definition(type_name)
    return found.properties.get(name) if found else None


def required(type_name: str) -> tuple[str, ...]:
    found = definition(type_name)
    return found.required if found else ()


def unknown_fields(obj: Any, type_name: str) -> list[str]:
    """Paths of the fields in ``obj`` that ``type_name`` does not define.

    Paths are written as upstream's strict decoding reports them
    (k8s.io/apimachinery/pkg/runtime/converter.go ``pushKey``/``pushIndex``):
    ``spec.foo``, ``spec.template.spec.containers[0].bogus``; in document order.
    Free-form values (RawExtension, FieldsV1) and values of the wrong JSON type are not
    looked into: the latter are type errors, reported elsewhere.
    """
    out: list[str] = []
    _walk_definition(obj, type_name, "", out, prune=False)
    return out


def prune_unknown_fields(obj: Any, type_name: str) -> list[str]:
    """Remove what :func:`unknown_fields` reports, in place; return the removed paths.

    Upstream drops unknown fields when it decodes a request into the typed object
    (``fieldValidation=Ignore`` or ``Warn``); this does the same to a JSON object.
    """
    out: list[str] = []
    _walk_definition(obj, type_name, "", out, prune=True)
    return out


def type_error(obj: Any, type_name: str) -> str | None:
    """What decoding ``obj`` into the Go type of ``type_name`` fails with, or None.

    kube-apiserver decodes a body with sigs.k8s.io/json into the typed object; the first
    value of the wrong JSON type (in document order) fails the request, worded as Go's
    ``UnmarshalTypeError``: ``json: cannot unmarshal string into Go struct field
    PodSpec.spec.containers of type []v1.Container`` (the struct holding the field, the path
    of struct fields from the root, the Go type). The custom decoders of Time, IntOrString
    and Quantity fail with their own words and no field. ``null`` decodes into anything.
    Unknown fields are not looked into (see :func:`unknown_fields`).
    """
    return _decode_definition(obj, type_name, "", ())


_GO_SCALARS = {("string", "byte"): "[]uint8", ("string", None): "string",
               ("integer", "int32"): "int32", ("integer", "int64"): "int64",
               ("integer", None): "int64", ("number", None): "float64",
               ("number", "double"): "float64", ("boolean", None): "bool"}
_INT_RANGES = {"int32": 2**31, "int64": 2**63}
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")
_QUANTITY_ERROR = ("quantities must match the regular expression "
                   "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


def _go_definition(type_name: str) -> str:
    package, _, name = type_name.rpartition(".")
    return f"{package.rpartition('.')[2]}.{name}"


def _go_field(prop: Field) -> str:
    if prop.ref is not None:
        return _go_definition(prop.ref)
    if prop.items is not None:
        return "[]" + _go_field(prop.items)
    if prop.values is not None:
        return "map[string]" + _go_field(prop.values)
    return _GO_SCALARS.get((prop.type or "", prop.format), prop.type or "interface {}")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _unmarshal(value: Any, go_type: str, struct: str, fields: tuple[str, ...],
               literal: bool = False) -> str:
    what = _json_kind(value)
    if literal:
        what += " " + json.dumps(value)
    if struct:
        return (f"json: cannot unmarshal {what} into Go struct field {struct}."
                f"{'.'.join(fields)} of type {go_type}")
    return f"json: cannot unmarshal {what} into Go value of type {go_type}"


def _decode_definition(value: Any, type_name: str, struct: str,
                       fields: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    found = definition(type_name)
    if found is None or (found.is_free_form and not found.format):
        return None  # RawExtension, FieldsV1: any JSON
    if found.type == "string" and found.format == "date-time":  # Time, MicroTime
        if not isinstance(value, str):
            return _unmarshal(value, "string", "", ())
        if not _RFC3339.match(value):
            return (f'parsing time {json.dumps(value)} as "2006-01-02T15:04:05Z07:00": '
                    f'cannot parse {json.dumps(value)} as "2006"')
        return None
    if found.format == "int-or-string":
        if isinstance(value, str):
            return None
        if (isinstance(value, bool) or not isinstance(value, int)
                or not -2**31 <= value < 2**31):
            return _unmarshal(value, "int32", "", (), literal=isinstance(value, int | float)
                              and not isinstance(value, bool))
        return None
    if found.one_of:  # Quantity: a string or a number, parsed later
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return _QUANTITY_ERROR
        return None
    if not isinstance(value, dict):
        return _unmarshal(value, _go_definition(type_name), struct, fields)
    own = type_name.rpartition(".")[2]
    for key, item in value.items():
        prop = found.properties.get(key)
        if prop is not None:
            error = _decode_field(item, prop, own, (*fields, key))
            if error:
                return error
    return None


def _decode_field(value: Any, prop: Field, struct: str, fields: tuple[str, ...]
                  ) -> str | None:
    if value is None:
        return None
    if prop.ref is not None:
        return _decode_definition(value, prop.ref, struct, fields)
    if prop.items is not None or prop.type == "array":
        if not isinstance(value, list):
            return _unmarshal(value, _go_field(prop), struct, fields)
        for item in value:
            error = _decode_field(item, prop.items, struct, fields) if prop.items else None
            if error:
                return error
        return None
    if prop.values is not None or prop.type == "object":
        if not isinstance(value, dict):
            return _unmarshal(value, _go_field(prop), struct, fields)
        for item in value.values():
            error = _decode_field(item, prop.values, struct, fields) if prop.values else None
            if error:
                return error
        return None
    go_type = _go_field(prop)
    if prop.type == "string":
        return None if isinstance(value, str) else _unmarshal(value, go_type, struct, fields)
    if prop.type == "boolean":
        return None if isinstance(value, bool) else _unmarshal(value, go_type, struct, fields)
    if prop.type in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _unmarshal(value, go_type, struct, fields)
        if isinstance(value, float) and not math.isfinite(value):
            return _unmarshal(value, go_type, struct, fields, literal=True)
        if prop.type == "integer":
            limit = _INT_RANGES.get(go_type, 2**63)
            if isinstance(value, float) or not -limit <= value < limit:
                return _unmarshal(value, go_type, struct, fields, literal=True)
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk_definition(obj: Any, type_name: str, path: str, out: list[str], prune: bool) -> None:
    found = definition(type_name)
    if found is None or not found.properties or not isinstance(obj, dict):
        return
    props = found.properties
    for key in list(obj):
        prop = props.get(key)
        child = _join(path, key)
        if prop is None:
            out.append(child)
            if prune:
                del obj[key]
        else:
            _walk_field(obj[key], prop, child, out, prune)


def _walk_field(value: Any, prop: Field, path: str, out: list[str], prune: bool) -> None:
    if prop.ref is not None:
        _walk_definition(value, prop.ref, path, out, prune)
    elif prop.items is not None and isinstance(value, list):
        for i, item in enumerate(value):
            _walk_field(item, prop.items, f"{path}[{i}]", out, prune)
    elif prop.values is not None and isinstance(value, dict):
        for key, item in value.items():
            _walk_field(item, prop.values, _join(path, key), out, prune)


_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
_MICRO_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
_RFC3339_PARTS = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))\Z")


def normalize_times(obj: Any, type_name: str) -> None:
    """Rewrite every ``metav1.Time`` and ``MicroTime`` in ``obj`` as kube-apiserver writes it
    back after decoding: UTC with a ``Z``, whole seconds for Time (time.RFC3339) and six
    digits for MicroTime (RFC3339Micro), so ``2025-01-01T02:00:00.5+02:00`` is stored as
    ``2025-01-01T00:00:00Z``. Values that do not parse are left for :func:`type_error`."""
    _normalize_definition(obj, type_name)


def _normalize_definition(obj: Any, type_name: str) -> Any:
    if type_name in (_TIME, _MICRO_TIME):
        return _canonical_time(obj, micro=type_name == _MICRO_TIME)
    found = definition(type_name)
    if found is not None and found.properties and isinstance(obj, dict):
        for key, value in obj.items():
            prop = found.properties.get(key)
            if prop is not None and value is not None:
                obj[key] = _normalize_field(value, prop)
    return obj


def _normalize_field(value: Any, prop: Field) -> Any:
    if prop.ref is not None:
        return _normalize_definition(value, prop.ref)
    if prop.items is not None and isinstance(value, list):
        return [_normalize_field(item, prop.items) for item in value]
    if prop.values is not None and isinstance(value, dict):
        return {key: _normalize_field(item, prop.values) for key, item in value.items()}
    return value


def _canonical_time(value: Any, *, micro: bool) -> Any:
    match = _RFC3339_PARTS.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    day, clock, fraction, sign, hours, minutes = match.groups()
    try:
        parsed = datetime.strptime(f"{day}T{clock}", "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return value
    if sign:
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        parsed = parsed - offset if sign == "+" else parsed + offset
    text = parsed.strftime("%Y-%m-%dT%H:%M:%S")
    if micro:
        text += "." + (fraction or "").ljust(6, "0")[:6]
    return text + "Z"
