"""Regenerate ``k8s-1.32.json.gz``: the schema table the simulator reads at run time.

Source: the upstream Kubernetes OpenAPI definitions for v1.32 (Apache-2.0, The Kubernetes
Authors), as shipped in the ``kubernetes-validate`` package under
``kubernetes-json-schema/v1.32.0-local/_definitions.json``. Run it with
``python -m chaoszone.sim.schema.generate`` after ``pip install .[schema]``.

What it keeps, for every definition under ``io.k8s.api.*`` and ``io.k8s.apimachinery.*``:
the properties (type, format, ``$ref`` target, array items and map values, enum, default,
the ``x-kubernetes-patch-*``, ``x-kubernetes-list-*`` and ``x-kubernetes-map-type``
extensions), ``required``, ``x-kubernetes-group-version-kind`` and the descriptions (for
``kubectl explain``; the whole file stays well under 400 KB gzipped).

What it corrects, because kubernetes-validate's conversion differs from upstream's
OpenAPI v3 documents (``api/openapi-spec/v3`` in kubernetes/kubernetes):

* nullable types (``["string", "null"]``) become the plain type;
* the ``enum`` it adds to every ``apiVersion``/``kind`` property is dropped;
* IntOrString and Quantity get upstream's v3 form (``oneOf`` of their JSON types);
* defaults of list-map keys, which kubernetes-validate drops but server-side apply needs
  to identify list items, are restored from the ``+default=`` markers in k8s.io/api.
"""

from __future__ import annotations

import gzip
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["OUTPUT", "SOURCE", "build", "main"]

SOURCE = (
    "Upstream Kubernetes OpenAPI definitions v1.32.0 (https://github.com/kubernetes/kubernetes, "
    "api/openapi-spec), Copyright The Kubernetes Authors, Apache License 2.0; converted by "
    "kubernetes-validate (https://github.com/willthames/kubernetes-validate, Apache-2.0), "
    "file kubernetes-json-schema/v1.32.0-local/_definitions.json; reduced by "
    "chaoszone.sim.schema.generate."
)

OUTPUT = Path(__file__).with_name("k8s-1.32.json.gz")

_INPUT = ("kubernetes-json-schema", "v1.32.0-local", "_definitions.json")
_PREFIXES = ("io.k8s.api.", "io.k8s.apimachinery.")
_REF_PREFIX = "#/$defs/"

# Upstream v3 forms of the custom scalar types (OpenAPIV3OneOfTypes / OpenAPISchemaFormat in
# k8s.io/apimachinery/pkg/util/intstr/intstr.go and pkg/api/resource/quantity.go).
_SCALARS: dict[str, dict[str, Any]] = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "oneOf": ["integer", "string"], "format": "int-or-string"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"oneOf": ["string", "number"]},
}

# `+default=` markers on list-map key fields (k8s.io/api core/v1/types.go): upstream's
# OpenAPI carries them as "default" and structured-merge-diff uses them when an item omits
# the key (typed/helpers.go getAssociativeKeyDefault).
_KEY_DEFAULTS: dict[tuple[str, str], Any] = {
    ("io.k8s.api.core.v1.ContainerPort", "protocol"): "TCP",
    ("io.k8s.api.core.v1.ServicePort", "protocol"): "TCP",
    ("io.k8s.api.core.v1.LocalObjectReference", "name"): "",
}


def _plain_type(value: Any) -> str | None:
    if isinstance(value, list):
        types = [t for t in value if t != "null"]
        return str(types[0]) if types else None
    return str(value) if value is not None else None


def _ref(value: str) -> str:
    if not value.startswith(_REF_PREFIX):
        raise ValueError(f"unexpected $ref {value!r}")
    return value[len(_REF_PREFIX):]


def _property(owner: str, name: str, raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "$ref" in raw:
        out["ref"] = _ref(raw["$ref"])
    elif (t := _plain_type(raw.get("type"))) is not None:
        out["type"] = t
    if "format" in raw:
        out["format"] = raw["format"]
    if isinstance(raw.get("items"), dict):
        out["items"] = _property(owner, name, raw["items"])
    if isinstance(raw.get("additionalProperties"), dict):
        out["values"] = _property(owner, name, raw["additionalProperties"])
    if "enum" in raw and name not in ("apiVersion", "kind"):
        out["enum"] = [v for v in raw["enum"] if v is not None]
    for key, short in (
        ("x-kubernetes-patch-strategy", "patchStrategy"),
        ("x-kubernetes-patch-merge-key", "mergeKey"),
        ("x-kubernetes-list-type", "listType"),
        ("x-kubernetes-list-map-keys", "mapKeys"),
        ("x-kubernetes-map-type", "mapType"),
    ):
        if key in raw:
            out[short] = raw[key]
    if (owner, name) in _KEY_DEFAULTS:
        out["default"] = _KEY_DEFAULTS[(owner, name)]
    if raw.get("description"):
        out["description"] = raw["description"]
    return out


def _definition(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if name in _SCALARS:
        out.update(_SCALARS[name])
    elif (t := _plain_type(raw.get("type"))) is not None:
        out["type"] = t
        if "format" in raw:
            out["format"] = raw["format"]
    if raw.get("description"):
        out["description"] = raw["description"]
    if "x-kubernetes-map-type" in raw:
        out["mapType"] = raw["x-kubernetes-map-type"]
    if raw.get("required"):
        out["required"] = list(raw["required"])
    if raw.get("x-kubernetes-group-version-kind"):
        out["gvk"] = [
            {"group": g["group"], "version": g["version"], "kind": g["kind"]}
            for g in raw["x-kubernetes-group-version-kind"]
        ]
    if "properties" in raw:
        out["properties"] = {
            prop: _property(name, prop, value) for prop, value in sorted(raw["properties"].items())
        }
    return out


def _refs(node: dict[str, Any]) -> list[str]:
    found = [node["ref"]] if "ref" in node else []
    for key in ("items", "values"):
        if key in node:
            found.extend(_refs(node[key]))
    for prop in node.get("properties", {}).values():
        found.extend(_refs(prop))
    return found


def build(raw_definitions: dict[str, Any]) -> dict[str, Any]:
    """The reduced table from kubernetes-validate's ``$defs`` mapping."""
    definitions = {
        name: _definition(name, raw)
        for name, raw in sorted(raw_definitions.items())
        if name.startswith(_PREFIXES)
    }
    missing = sorted({r for d in definitions.values() for r in _refs(d)} - definitions.keys())
    if missing:
        raise ValueError(f"definitions refer outside the kept set: {missing}")
    return {"source": SOURCE, "kubernetesVersion": "v1.32.0", "definitions": definitions}


def _read_input() -> dict[str, Any]:
    root = resources.files("kubernetes_validate")
    node = root.joinpath(*_INPUT)
    data: dict[str, Any] = json.loads(node.read_text(encoding="utf-8"))
    defs: dict[str, Any] = data.get("$defs") or data["definitions"]
    return defs


def main() -> int:
    table = build(_read_input())
    payload = json.dumps(table, separators=(",", ":"), sort_keys=False).encode()
    # mtime=0 keeps the output byte-identical between runs.
    OUTPUT.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    print(f"wrote {OUTPUT} ({len(table['definitions'])} definitions, "
          f"{len(payload)} bytes raw, {OUTPUT.stat().st_size} bytes gzipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
