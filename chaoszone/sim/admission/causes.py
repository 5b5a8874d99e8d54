"""Field errors worded exactly as kube-apiserver words them.

Owns the translation of a validation failure into a :class:`~chaoszone.sim.errors.Cause`:
the cause ``reason`` is upstream's ``field.ErrorType`` (``FieldValueInvalid``...), the
``message`` is ``field.Error.ErrorBody()`` (``Invalid value: "x": detail``) and ``field`` is
the field path (``spec.containers[0].name``, ``metadata.labels``, ``data[key]``).

Bad values are printed the way Go prints them there: strings ``%q``, numbers and booleans
``%v``, nil ``null``, and structs ``%#v``. The structs that appear in common messages
(``map[string]string``, ``[]string``, ``v1.LabelSelector``, ``core.Toleration``) are
rendered like Go; other structs fall back to compact JSON.

Upstream: staging/src/k8s.io/apimachinery/pkg/util/validation/field/{errors,path}.go
(release-1.32).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chaoszone.sim.errors import ApiError, BadRequest, Cause

__all__ = [
    "GoRepr",
    "duplicate",
    "forbidden",
    "go_quote",
    "go_value",
    "index",
    "invalid",
    "join",
    "key",
    "label_selector_repr",
    "not_found",
    "not_supported",
    "required",
    "string_map_repr",
    "string_slice_repr",
    "toleration_repr",
    "too_long",
    "too_many",
    "wrong_type",
]

#: what a malformed field (a number where a string belongs...) makes the rules raise
TYPE_ERRORS = (TypeError, AttributeError, ValueError, KeyError, IndexError)

Path = str


class GoRepr(str):
    """A value already rendered the way Go's fmt would print it."""


# -- paths ----------------------------------------------------------------------------------------

def join(parent: Path, *children: str) -> Path:
    """``field.Path.Child``: ``spec`` + ``containers`` -> ``spec.containers``."""
    if len(children) == 1 and parent:  # nearly every call
        return f"{parent}.{children[0]}"
    out = parent
    for child in children:
        out = f"{out}.{child}" if out else child
    return out


def index(parent: Path, i: int) -> Path:
    """``field.Path.Index``: ``spec.containers[0]``."""
    return f"{parent}[{i}]"


def key(parent: Path, k: str) -> Path:
    """``field.Path.Key``: ``data[some.key]`` (upstream does not quote the key)."""
    return f"{parent}[{k}]"


# -- Go-style values ------------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r",
            "\a": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v"}


def go_quote(s: str) -> str:
    """``strconv.Quote``: double quotes, printable runes kept, the rest escaped."""
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x80:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def string_map_repr(m: Mapping[str, Any] | None) -> GoRepr:
    """``%#v`` of a ``map[string]string``: keys sorted, ``(nil)`` when absent."""
    if m is None:
        return GoRepr("map[string]string(nil)")
    body = ", ".join(f"{go_quote(str(k))}:{go_quote(str(v))}" for k, v in sorted(m.items()))
    return GoRepr("map[string]string{" + body + "}")


def string_slice_repr(items: Sequence[Any] | None) -> GoRepr:
    """``%#v`` of a ``[]string``."""
    if items is None:
        return GoRepr("[]string(nil)")
    return GoRepr("[]string{" + ", ".join(go_quote(str(i)) for i in items) + "}")


def label_selector_repr(sel: Mapping[str, Any] | None) -> GoRepr:
    """``%#v`` of a ``*metav1.LabelSelector`` as it appears in ``field is immutable``."""
    if sel is None:
        return GoRepr("null")
    exprs = sel.get("matchExpressions")
    if exprs is None:
        exprs_repr = "[]v1.LabelSelectorRequirement(nil)"
    else:
        parts = []
        for e in exprs:
            e = e or {}
            parts.append(
                "v1.LabelSelectorRequirement{Key:" + go_quote(str(e.get("key", "")))
                + ", Operator:" + go_quote(str(e.get("operator", "")))
                + ", Values:" + string_slice_repr(e.get("values")) + "}")
        exprs_repr = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    return GoRepr("v1.LabelSelector{MatchLabels:" + string_map_repr(sel.get("matchLabels"))
                  + ", MatchExpressions:" + exprs_repr + "}")


def toleration_repr(t: Mapping[str, Any]) -> GoRepr:
    """``%#v`` of a ``core.Toleration`` (a pointer prints as an address upstream)."""
    seconds = t.get("tolerationSeconds")
    sec = "(*int64)(nil)" if seconds is None else "(*int64)(0xc000000000)"
    return GoRepr("core.Toleration{Key:" + go_quote(str(t.get("key", "")))
                  + ", Operator:" + go_quote(str(t.get("operator", "")))
                  + ", Value:" + go_quote(str(t.get("value", "")))
                  + ", Effect:" + go_quote(str(t.get("effect", "")))
                  + ", TolerationSeconds:" + sec + "}")


def go_value(value: Any) -> str:
    """How ``ErrorBody`` prints a bad value."""
    if isinstance(value, GoRepr):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return string_map_repr(value)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return string_slice_repr(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


# -- causes ---------------------------------------------------------------------------------------

def _body(kind: str, detail: str) -> str:
    return f"{kind}: {detail}" if detail else kind


def required(path: Path, detail: str = "") -> Cause:
    """``field.Required``: ``Required value[: detail]``."""
    return Cause("FieldValueRequired", _body("Required value", detail), path)


def invalid(path: Path, value: Any, detail: str = "") -> Cause:
    """``field.Invalid``: ``Invalid value: <value>[: detail]``."""
    return Cause("FieldValueInvalid",
                 _body(f"Invalid value: {go_value(value)}", detail), path)


def not_supported(path: Path, value: Any, supported: Iterable[str]) -> Cause:
    """``field.NotSupported``: ``Unsupported value: <v>: supported values: "A", "B"``."""
    values = ", ".join(go_quote(v) for v in supported)
    detail = f"supported values: {values}" if values else ""
    return Cause("FieldValueNotSupported",
                 _body(f"Unsupported value: {go_value(value)}", detail), path)


def forbidden(path: Path, detail: str) -> Cause:
    """``field.Forbidden``: ``Forbidden: detail``."""
    return Cause("FieldValueForbidden", _body("Forbidden", detail), path)


def duplicate(path: Path, value: Any, detail: str = "") -> Cause:
    """``field.Duplicate``: ``Duplicate value: <value>``."""
    return Cause("FieldValueDuplicate",
                 _body(f"Duplicate value: {go_value(value)}", detail), path)


def not_found(path: Path, value: Any) -> Cause:
    """``field.NotFound``: ``Not found: <value>``."""
    return Cause("FieldValueNotFound", f"Not found: {go_value(value)}", path)


def too_long(path: Path, max_bytes: int) -> Cause:
    """``field.TooLong`` (1.32 wording, apimachinery v0.32 errors.go: "may not be more than";
    "must have at most" is later releases'): the value itself is not printed."""
    return Cause("FieldValueTooLong", f"Too long: may not be more than {max_bytes} bytes", path)


def too_many(path: Path, actual: int, max_items: int) -> Cause:
    """``field.TooMany``: ``Too many: 5: must have at most 4 items``."""
    return Cause("FieldValueTooMany",
                 f"Too many: {actual}: must have at most {max_items} items", path)


def wrong_type(kind: str, version: str, exc: BaseException) -> ApiError:
    """The 400 kube-apiserver answers when a field has the wrong JSON type: it fails while
    decoding, before defaulting or validation (``json: cannot unmarshal ...``). The rules
    here meet such a field only while walking the object, so the field is not named."""
    return BadRequest(f'{kind} in version "{version}" cannot be handled as a {kind}: json: '
                      f"cannot unmarshal the object: a field has the wrong type ({exc})")
