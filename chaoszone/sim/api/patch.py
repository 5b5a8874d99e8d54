"""The patch engine: merge patch, JSON patch, strategic merge patch and server-side apply.

Pure functions on JSON-like values (dicts, lists, scalars); nothing here knows about
HTTP. Inputs are never mutated. Failures raise :class:`chaoszone.sim.errors.ApiError`
with the code, reason and message kube-apiserver 1.32 sends. Where upstream returns a
plain Go error for a malformed patch, the apiserver turns it into a 500 with an empty
reason (responsewriters/status.go ``ErrorToAPIStatus``); the simulator answers such client
mistakes with a 400 ``BadRequest`` carrying the same words, as it never answers a 500 to
client input, and keeps the 500 for failures of its own state.

Where the behaviour comes from:

* :func:`merge_patch`: RFC 7386 as gopkg.in/evanphx/json-patch.v4 ``MergePatch``, which
  k8s.io/apiserver/pkg/endpoints/handlers/patch.go uses;
* :func:`json_patch`: RFC 6902 as evanphx/json-patch.v4 ``Patch.Apply``;
* :func:`strategic_merge_patch`: k8s.io/apimachinery/pkg/util/strategicpatch/patch.go
  (``StrategicMergeMapPatch`` with the server's merge options), driven by the patch
  strategies in :mod:`chaoszone.sim.schema` instead of Go struct tags;
* :func:`apply` and :func:`update_managed_fields`: server-side apply, after
  k8s.io/apimachinery/pkg/util/managedfields/internal (the field manager chain) and
  sigs.k8s.io/structured-merge-diff/v4 (merge, compare, prune, field sets).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from chaoszone.sim import schema
from chaoszone.sim.errors import ApiError, BadRequest, Cause, Invalid, RequestEntityTooLarge
from chaoszone.sim.schema import Field

__all__ = [
    "LAST_APPLIED_ANNOTATION",
    "MAX_JSON_PATCH_OPERATIONS",
    "apply",
    "json_patch",
    "merge_patch",
    "strategic_merge_patch",
    "update_managed_fields",
]

#: handlers/patch.go maxJSONPatchOperations
MAX_JSON_PATCH_OPERATIONS = 10000

LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"

# apimachinery api/errors NewGenericServerResponse(422, ...): the message hides the detail.
_UNPROCESSABLE = "the server rejected our request due to an error in our request"


class _PatchFailure(Exception):
    """Why a patch could not be applied; chained to the ApiError for the logs."""


def _internal(message: str) -> ApiError:
    """A plain Go error surfacing from the apiserver: 500 with no reason."""
    return ApiError(500, "", message)


def _bad_patch(message: str) -> ApiError:
    """A plain Go error that the patch itself caused: upstream's words, as a 400 (upstream
    sends a 500 with no reason, which the simulator never does for client input)."""
    return BadRequest(message)


def _unprocessable(detail: str) -> ApiError:
    err = ApiError(422, "Invalid", _UNPROCESSABLE)
    err.__cause__ = _PatchFailure(detail)
    return err


# -- Go-compatible rendering of values in error messages and JSON keys ------------------


def _go_value(v: Any) -> str:
    """``fmt.Sprintf("%v", v)`` for a decoded JSON value."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e21 else repr(v)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go_value(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_go_value(x) for x in v) + "]"
    return str(v)


def _go_type(v: Any) -> str:
    """``reflect.TypeOf(v)`` of a decoded JSON value (integers decode to int64 upstream)."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    return "[]interface {}"


def _go_json(v: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON as Go's encoding/json writes it (HTML-safe escaping)."""
    text = json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _json_key(v: Any) -> tuple[str, Any]:
    """A hashable key for a JSON scalar that keeps 1, 1.0 and True apart, as Go does."""
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int):
        return ("i", v)
    if isinstance(v, float):
        return ("f", v)
    if isinstance(v, str):
        return ("s", v)
    if v is None:
        return ("n", None)
    return ("j", json.dumps(v, sort_keys=True))


def _json_equal(a: Any, b: Any) -> bool:
    """Structural JSON equality where 1, 1.0 and true differ (their encodings differ)."""
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(_json_equal(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return (isinstance(b, list) and len(a) == len(b)
                and all(_json_equal(x, y) for x, y in zip(a, b, strict=True)))
    return _json_key(a) == _json_key(b)


# == RFC 7386 merge patch ===============================================================


def merge_patch(original: Any, patch: Any, *, in_place: bool = False) -> Any:
    """Apply a JSON merge patch (``application/merge-patch+json``); ``in_place`` changes
    ``original`` rather than a copy (for a caller that owns a fresh copy).

    As evanphx/json-patch.v4 ``MergePatch`` (merge.go): a ``null`` patch body is rejected
    with 400 ``Invalid JSON Patch``; a patch that is not an object replaces the document;
    values set where nothing was are stored with their ``null`` members dropped.
    """
    if patch is None:
        raise BadRequest("Invalid JSON Patch")
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(original, dict):
        return _without_nulls(patch)
    doc = original if in_place else copy.deepcopy(original)
    _merge_docs(doc, patch)
    return doc


def _merge_docs(doc: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            doc.pop(key, None)
        elif doc.get(key) is None:
            doc[key] = _without_nulls(value)
        else:
            doc[key] = _merge_value(doc[key], value)


def _merge_value(current: Any, patch: Any) -> Any:
    if not isinstance(current, dict):
        return _without_nulls(patch)
    if not isinstance(patch, dict):
        # merge.go: a non-object patch over an object is taken as it is, nulls and all.
        return copy.deepcopy(patch)
    _merge_docs(current, patch)
    return current


def _without_nulls(value: Any) -> Any:
    """A deep copy without null object members (merge.go pruneNulls: arrays keep nulls)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


# == RFC 6902 JSON patch ================================================================

_INDEX = re.compile(r"[+-]?[0-9]+")


def json_patch(original: Any, ops: Any, *, in_place: bool = False) -> Any:
    """Apply a JSON patch (``application/json-patch+json``); ``in_place`` as for
    :func:`merge_patch`.

    Errors are upstream's (handlers/patch.go ``applyJSPatch``): a body that is not a list
    of objects is 400, more than 10000 operations is 413, and an operation that cannot be
    applied (failed ``test``, missing path...) is 422 with a message that hides the detail.
    Semantics follow evanphx/json-patch.v4, which differs from the RFC in small ways:
    negative array indices count from the end, ``replace`` of a missing object member
    adds it, ``test`` of a missing member against ``null`` passes, ``copy`` from a missing
    member copies ``null``, and ``add``/``remove`` of the whole document (path ``""``)
    fail.
    """
    if not isinstance(ops, list):
        raise BadRequest(f"json: cannot unmarshal {_json_kind(ops)} into Go value of type "
                         "jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict) and op is not None:
            raise BadRequest(f"json: cannot unmarshal {_json_kind(op)} into Go value of type "
                             "jsonpatch.Operation")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise RequestEntityTooLarge(
            f"The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, "
            f"got {len(ops)}")
    doc = original if in_place else copy.deepcopy(original)
    for op in ops:
        try:
            doc = _apply_op(doc, op or {})
        except _PatchFailure as exc:
            raise _unprocessable(str(exc)) from exc
    return doc


def _json_kind(v: Any) -> str:
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    return "string"


def _op_string(op: dict[str, Any], name: str) -> str:
    value = op.get(name)
    if not isinstance(value, str):
        raise _PatchFailure(f"operation missing {name} field")
    return value


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _parse_index(key: str) -> int:
    if not _INDEX.fullmatch(key):
        raise _PatchFailure(f"value was not a proper array index: '{key}'")
    return int(key)


def _container(doc: Any, path: str) -> tuple[Any, str]:
    """patch.go findObject: the object or array holding the last token of ``path``."""
    tokens = path.split("/")
    if len(tokens) < 2:
        raise _PatchFailure(f'doc is missing path: "{path}"')
    node = doc
    for token in tokens[1:-1]:
        node = _get(node, _unescape(token), path)
        if not isinstance(node, dict | list):
            raise _PatchFailure(f'doc is missing path: "{path}"')
    return node, _unescape(tokens[-1])


def _get(node: Any, key: str, path: str) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if not isinstance(node, list):
        raise _PatchFailure(f'doc is missing path: "{path}"')
    return node[_array_index(node, key, len(node) - 1)]


def _array_index(arr: list[Any], key: str, last: int) -> int:
    """An index in ``[0, last]``, negative ones counting from ``last + 1``."""
    idx = _parse_index(key)
    if idx < 0:
        idx += last + 1
    if not 0 <= idx <= last:
        raise _PatchFailure(f"Unable to access invalid index: {key}")
    return idx


def _add(node: Any, key: str, value: Any) -> None:
    if isinstance(node, dict):
        node[key] = value
    elif key == "-":
        node.append(value)
    else:
        node.insert(_array_index(node, key, len(node)), value)


def _remove(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        if key not in node:
            raise _PatchFailure(f"Unable to remove nonexistent key: {key}")
        return node.pop(key)
    return node.pop(_array_index(node, key, len(node) - 1))


def _apply_op(doc: Any, op: dict[str, Any]) -> Any:
    kind = op.get("op")
    value = copy.deepcopy(op.get("value"))
    if kind == "add":
        node, key = _container(doc, _op_string(op, "path"))
        _add(node, key, value)
    elif kind == "remove":
        node, key = _container(doc, _op_string(op, "path"))
        _remove(node, key)
    elif kind == "replace":
        path = _op_string(op, "path")
        if path == "":
            if not isinstance(value, dict | list):
                raise _PatchFailure("replace operation value must be object or array")
            return value
        node, key = _container(doc, path)
        if isinstance(node, dict):
            node[key] = value
        else:
            node[_array_index(node, key, len(node) - 1)] = value
    elif kind in ("move", "copy"):
        node, key = _container(doc, _op_string(op, "from"))
        moved = _remove(node, key) if kind == "move" else copy.deepcopy(_get(node, key, key))
        target, target_key = _container(doc, _op_string(op, "path"))
        _add(target, target_key, moved)
    elif kind == "test":
        path = _op_string(op, "path")
        if path == "":
            current = doc
        else:
            node, key = _container(doc, path)
            current = _get(node, key, path)
        if current is None:
            if op.get("value") is not None:
                raise _PatchFailure(f"testing value {path} failed")
        elif "value" not in op or not _json_equal(current, op["value"]):
            raise _PatchFailure(f"testing value {path} failed")
    else:
        raise _PatchFailure(f"Unexpected kind: {kind if isinstance(kind, str) else 'unknown'}")
    return doc


# == Strategic merge patch ==============================================================
#
# A "cursor" says what we know about the map being merged: a definition name (a struct),
# a Field whose ``values`` describe a map's entries, or None (no schema: merge-patch
# semantics, lists replaced).

_Cursor = str | Field | None

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
_SET_ELEMENT_ORDER = "$setElementOrder"

# mergepatch/errors.go sentinels; handlers/patch.go interpretStrategicMergePatchError
# maps them to 400, except lists of lists (422).
_ERR_PRIMITIVE_LIST = "invalid patch format of primitive list"
_ERR_RETAIN_KEYS = "invalid patch format of retainKeys"
_ERR_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"


def strategic_merge_patch(original: dict[str, Any], patch: Any,
                          type_name: str | None, *, in_place: bool = False) -> dict[str, Any]:
    """Apply a strategic merge patch (``application/strategic-merge-patch+json``);
    ``in_place`` as for :func:`merge_patch`.

    ``type_name`` is the definition of ``original`` (e.g. ``io.k8s.api.core.v1.Node``);
    lists merge by ``x-kubernetes-patch-merge-key`` where the schema says
    ``x-kubernetes-patch-strategy: merge`` and are replaced whole otherwise (taints and
    tolerations are atomic). Fields the schema does not know merge like a merge patch.
    """
    if patch is None:
        return copy.deepcopy(original)
    if not isinstance(patch, dict):
        raise BadRequest(f"json: cannot unmarshal {_json_kind(patch)} into Go value of type "
                         "map[string]interface {}")
    return _smp_map(original if in_place else copy.deepcopy(original), copy.deepcopy(patch),
                    type_name)


def _lookup(cursor: _Cursor, key: str) -> tuple[Field | None, _Cursor]:
    """The field's patch metadata and the cursor for its value (meta.go Lookup*)."""
    if cursor is None:
        return None, None
    prop = schema.field(cursor, key) if isinstance(cursor, str) else cursor.values
    if prop is None:
        return None, None
    return prop, _value_cursor(prop.items if prop.items is not None else prop)


def _value_cursor(prop: Field | None) -> _Cursor:
    if prop is None:
        return None
    if prop.ref is not None:
        return prop.ref
    return prop if prop.values is not None else None


def _strategy(prop: Field | None) -> str:
    """patch.go extractRetainKeysPatchStrategy: the strategy other than retainKeys."""
    if prop is None:
        return ""
    return next((s for s in prop.patch_strategy if s != "retainKeys"), "")


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "slice"
    return _go_type(v)


def _smp_map(original: dict[str, Any] | None, patch: dict[str, Any],
             cursor: _Cursor) -> dict[str, Any]:
    """patch.go mergeMap with MergeParallelList and IgnoreUnmatchedNulls set."""
    if _DIRECTIVE in patch:
        return _map_directive(patch[_DIRECTIVE], patch)
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _merge_ordered_lists(original, patch, cursor)
    for key, value in list(patch.items()):
        delete_list = key.startswith(_DELETE_FROM_PRIMITIVE_LIST)
        if delete_list:
            key = _directive_key(key, _DELETE_FROM_PRIMITIVE_LIST, _ERR_PRIMITIVE_LIST)
        if value is None:
            original.pop(key, None)
            continue
        if key not in original or _kind(original[key]) != _kind(value):
            if not delete_list:
                _discard_nulls(value)
                kept, keep = _remove_directives(value)
                if keep:
                    original[key] = kept
                else:
                    original.pop(key, None)
            continue
        current = original[key]
        if isinstance(current, dict):
            prop, sub = _lookup(cursor, key)
            if _strategy(prop) == "replace":
                original[key] = value
            else:
                original[key] = _smp_map(current, value, sub)
        elif isinstance(current, list):
            prop, sub = _lookup(cursor, key)
            original[key] = _smp_slice(current, value, sub, _strategy(prop),
                                       prop.merge_key if prop else None, delete_list)
        else:
            original[key] = value
    return original


def _map_directive(directive: Any, patch: dict[str, Any]) -> dict[str, Any]:
    """patch.go handleDirectiveInMergeMap."""
    if directive == "replace":
        del patch[_DIRECTIVE]
        return patch
    if directive == "delete":
        return {}
    raise _bad_patch(f"unknown patch type: {_go_value(directive)} in map: {_go_value(patch)}")


def _directive_key(key: str, prefix: str, error: str) -> str:
    """patch.go extractKey: ``$prefix/field`` -> ``field``."""
    head, sep, tail = key.partition("/")
    if not sep or head != prefix:
        raise BadRequest(error)
    return tail


def _discard_nulls(value: Any) -> None:
    """patch.go discardNullValuesFromPatch (in place)."""
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for v in value.values():
            _discard_nulls(v)
    elif isinstance(value, list):
        for v in value:
            _discard_nulls(v)


def _remove_directives(value: Any) -> tuple[Any, bool]:
    """patch.go removeDirectives: drop maps carrying ``$patch``; False if value is one."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        for key in list(value):
            kept, keep = _remove_directives(value[key])
            if keep:
                value[key] = kept
            else:
                del value[key]
        return value, True
    if isinstance(value, list):
        out = []
        for item in value:
            kept, keep = _remove_directives(item)
            if keep:
                out.append(kept)
        return out, True
    return value, True


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    """patch.go applyRetainKeysDirective (server side: MergeParallelList)."""
    if _RETAIN_KEYS not in patch:
        return
    retain = patch.pop(_RETAIN_KEYS)
    if not isinstance(retain, list):
        raise BadRequest(_ERR_RETAIN_KEYS)
    keep = {_json_key(k) for k in retain}
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_FROM_PRIMITIVE_LIST, _SET_ELEMENT_ORDER)):
            continue
        if _json_key(key) not in keep:
            raise BadRequest(_ERR_RETAIN_KEYS)
    for key in [k for k in original if _json_key(k) not in keep]:
        del original[key]


def _merge_ordered_lists(original: dict[str, Any], patch: dict[str, Any],
                         cursor: _Cursor) -> None:
    """patch.go mergePatchIntoOriginal: lists that come with ``$setElementOrder/<field>``.

    The merged list is ordered by the directive for patch items and by the live list for
    server-only items (precedence: directive, then patch order, then live order).
    """
    for directive_key in [k for k in patch if k.startswith(_SET_ELEMENT_ORDER)]:
        order = patch.pop(directive_key)
        if not isinstance(order, list):
            raise _bad_patch(f"expected a []interface {{}}, but received a {_go_type(order)}")
        key = _directive_key(directive_key, _SET_ELEMENT_ORDER, _ERR_SET_ELEMENT_ORDER)
        found_original, found_patch = key in original, key in patch
        original_list = _as_list(original.get(key)) if found_original else []
        patch_list = _as_list(patch.get(key)) if found_patch else []
        prop, sub = _lookup(cursor, key)
        merge_key = (prop.merge_key if prop else None) or ""
        _validate_set_order(patch_list, order, merge_key)
        if found_original and not found_patch:
            merged = original_list
        elif found_patch and not found_original:
            merged = _remove_directives(patch_list)[0]
        elif found_original and found_patch:
            merged = _smp_slice(original_list, patch_list, sub, _strategy(prop),
                                merge_key, False)
        else:
            continue
        ours, server_only = _partition(merged, order, merge_key)
        is_map = _element_kind(original_list, patch_list) == "map"
        original[key] = _normalize_order(ours, server_only, order, original_list, merge_key,
                                         is_map)
        patch.pop(key, None)


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _bad_patch(f"expected a []interface {{}}, but received a {_go_type(value)}")
    return value


def _validate_set_order(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """patch.go validatePatchWithSetOrderList: patch items appear in the directive, in order."""
    if not order or not patch_list:
        return
    items = ([p for p in patch_list if not (isinstance(p, dict)
                                             and p.get(_DIRECTIVE) == "delete")]
             if merge_key else patch_list)
    if merge_key:
        for item in items:
            if not isinstance(item, dict):
                raise _bad_patch(f"expected a map[string]interface {{}}, but received a "
                                f"{_go_type(item)}")
    i = j = 0
    while i < len(items) and j < len(order):
        if isinstance(items[i], dict) and _DIRECTIVE in items[i]:
            i += 1
            continue
        if _merge_key_equal(items[i], order[j], merge_key):
            i += 1
        j += 1
    if i < len(items) and j >= len(order):
        raise _bad_patch(f"The order in patch list:\n{_go_value(patch_list)}\n doesn't match "
                        f"{_SET_ELEMENT_ORDER} list:\n{_go_value(order)}\n")


def _merge_key_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _json_key(left) == _json_key(right)
    for side in (left, right):
        if not isinstance(side, dict):
            raise _bad_patch(f"expected a map[string]interface {{}}, but received a "
                            f"{_go_type(side)}")
        if merge_key not in side:
            raise _no_merge_key(side, merge_key)
    return _json_key(left[merge_key]) == _json_key(right[merge_key])


def _no_merge_key(item: Any, merge_key: str) -> ApiError:
    return _bad_patch(f"map: {_go_value(item)} does not contain declared merge key: {merge_key}")


def _element_kind(*lists: list[Any]) -> str:
    """patch.go sliceElementType: the one element type of the given lists."""
    seen: str | None = None
    for items in lists:
        for item in items:
            kind = _kind(item)
            if seen is None:
                if kind == "slice":
                    raise _unprocessable("lists of lists are not supported")
                seen = kind
            elif kind != seen:
                raise _bad_patch("list element types are not identical: "
                                + _go_value(list(lists)))
    if seen is None:
        raise _bad_patch("no elements in any of the given slices")
    return seen


def _smp_slice(original: Any, patch: Any, cursor: _Cursor, strategy: str,
               merge_key: str | None, delete_list: bool) -> list[Any]:
    """patch.go mergeSliceHandler + mergeSlice."""
    if not isinstance(original, list) or not isinstance(patch, list):
        bad = original if not isinstance(original, list) else patch
        raise _bad_patch(f"expected a []interface {{}}, but received a {_go_type(bad)}")
    if strategy != "merge" and not delete_list:
        return patch
    if not original and not patch:
        return original
    merge_key = merge_key or ""
    is_map = _element_kind(original, patch) == "map"
    if not is_map:
        if delete_list:
            drop = {_json_key(v) for v in patch}
            return [v for v in original if _json_key(v) not in drop]
        merged: list[Any] = []
        seen: set[tuple[str, Any]] = set()
        for v in original + patch:
            if _json_key(v) not in seen:
                seen.add(_json_key(v))
                merged.append(v)
    else:
        if not merge_key:
            raise _bad_patch("cannot merge lists without merge key for struct")
        original, patch = _special_elements(original, patch, merge_key)
        merged = _merge_by_key(original, patch, merge_key, cursor)
    ours, server_only = _partition(merged, patch, merge_key)
    return _normalize_order(ours, server_only, patch, original, merge_key, is_map)


def _special_elements(original: list[Any], patch: list[Any],
                      merge_key: str) -> tuple[list[Any], list[Any]]:
    """patch.go mergeSliceWithSpecialElements: ``$patch`` items in a merging list."""
    plain: list[Any] = []
    replace = False
    for item in patch:
        directive = item.get(_DIRECTIVE)
        if _DIRECTIVE not in item:
            plain.append(item)
        elif directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            target = _json_key(item[merge_key])
            for i, entry in enumerate(original):
                if not isinstance(entry, dict):
                    raise _bad_patch(f"value for key {i} is not a map")
            original = [e for e in original
                        if merge_key not in e or _json_key(e[merge_key]) != target]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _bad_patch("merging lists cannot yet be specified in the patch")
        else:
            raise _bad_patch(f"unknown patch type: {_go_value(directive)} in map: "
                            f"{_go_value(item)}")
    if replace:
        return plain, []
    return original, plain


def _merge_by_key(original: list[Any], patch: list[Any], merge_key: str,
                  cursor: _Cursor) -> list[Any]:
    """patch.go mergeSliceWithoutSpecialElements."""
    merged = list(original)
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        target = _json_key(item[merge_key])
        for i, entry in enumerate(merged):
            if not isinstance(entry, dict):
                raise _bad_patch(f"value for key {i} is not a map")
            if merge_key in entry and _json_key(entry[merge_key]) == target:
                merged[i] = _smp_map(entry, item, cursor)
                break
        else:
            merged.append(item)
    return merged


def _identity(item: Any, merge_key: str, is_map: bool) -> tuple[str, Any]:
    """patch.go index: what identifies a list item (its merge key, or itself)."""
    if is_map:
        return _json_key(item.get(merge_key) if isinstance(item, dict) else None)
    return _json_key(item)


def _partition(merged: list[Any], by: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    """patch.go partition{Primitives,Maps}ByPresentInList."""
    if not merge_key:
        present = {_json_key(v) for v in by}
        return ([v for v in merged if _json_key(v) in present],
                [v for v in merged if _json_key(v) not in present])
    keys = {_json_key(v[merge_key]) for v in by if isinstance(v, dict) and merge_key in v}
    ours: list[Any] = []
    server_only: list[Any] = []
    for item in merged:
        if not isinstance(item, dict):
            raise _bad_patch(f"expected a map[string]interface {{}}, but received a "
                            f"{_go_type(item)}")
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        (ours if _json_key(item[merge_key]) in keys else server_only).append(item)
    return ours, server_only


def _positions(order: list[Any], merge_key: str, is_map: bool) -> dict[tuple[str, Any], int]:
    found: dict[tuple[str, Any], int] = {}
    for i, item in enumerate(order):
        found.setdefault(_identity(item, merge_key, is_map), i)
    return found


def _sort_by(items: list[Any], order: list[Any], merge_key: str, is_map: bool) -> list[Any]:
    """patch.go normalizeSliceOrder: stable sort by position in ``order``.

    Upstream's comparator says "less" whenever either item is missing from ``order``; when
    that happens the result depends on Go's insertion sort, which this reproduces.
    """
    if is_map:
        for item in [*items, *order]:
            if not isinstance(item, dict):
                raise _bad_patch(f"expected a map[string]interface {{}}, but received a "
                                f"{_go_type(item)}")
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
        deleted = [i for i in items if i.get(_DIRECTIVE) == "delete"]
        items = [i for i in items if i.get(_DIRECTIVE) != "delete"]
    else:
        deleted = []
    pos = _positions(order, merge_key, is_map)
    where = [pos.get(_identity(item, merge_key, is_map), -1) for item in items]
    if all(w >= 0 for w in where):
        ranked = sorted(zip(where, range(len(items)), strict=True))
        return [items[i] for _, i in ranked] + deleted
    out = list(zip(where, items, strict=True))
    for i in range(1, len(out)):
        j = i
        while j > 0 and (out[j][0] < 0 or out[j - 1][0] < 0 or out[j][0] < out[j - 1][0]):
            out[j], out[j - 1] = out[j - 1], out[j]
            j -= 1
    return [item for _, item in out] + deleted


def _normalize_order(ours: list[Any], server_only: list[Any], patch_order: list[Any],
                     server_order: list[Any], merge_key: str, is_map: bool) -> list[Any]:
    """patch.go normalizeElementOrder + mergeSortedSlice."""
    ours = _sort_by(ours, patch_order, merge_key, is_map)
    server_only = _sort_by(server_only, server_order, merge_key, is_map)
    pos = _positions(server_order, merge_key, is_map)
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(ours):
        if j >= len(ours):
            out.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            out.append(ours[j])
            j += 1
        else:
            left = pos.get(_identity(server_only[i], merge_key, is_map), -1)
            right = pos.get(_identity(ours[j], merge_key, is_map), -1)
            if left >= 0 and right >= 0 and left < right:
                out.append(server_only[i])
                i += 1
            else:
                out.append(ours[j])
                j += 1
    return out


# == Server-side apply ==================================================================
#
# Values are walked against structured-merge-diff's view of the schema (kube-openapi
# pkg/schemaconv): structs (granular unless x-kubernetes-map-type: atomic), maps, lists
# (atomic, set, or map keyed by x-kubernetes-list-map-keys; without a list type, a
# patch strategy "merge" means keyed by the merge key, else atomic), scalars, and
# "untyped" free-form values (maps granular, lists atomic).
#
# A field path is a tuple of path elements:
#   ("f", name)                  a struct field or map key
#   ("k", ((name, value), ...))  a list-map item, keys sorted by name
#   ("v", value)                 a set item
#   ("i", index)                 an atomic list item (only in paths read back from users)
# Values inside path elements are _json_key pairs so that 1, 1.0 and true stay apart.
# A field set is a Python set of such paths: the "members" of structured-merge-diff's Set.

_PE = tuple[str, Any]
_Path = tuple[_PE, ...]
_ABSENT: Any = object()


@dataclass(frozen=True)
class _Type:
    kind: str  # "scalar" | "struct" | "map" | "list" | "untyped"
    atomic: bool = False
    definition: str | None = None
    elem: Field | None = None
    keys: tuple[str, ...] = ()
    #: what _child_type, _item_type and _required found for this type, by key (types are
    #: made once each, by the cached functions below, so this lives as long as they do)
    memo: dict[str | tuple[str], Any] = field(default_factory=dict, compare=False, hash=False,
                                              repr=False)


_SCALAR = _Type("scalar")
_UNTYPED = _Type("untyped")


@cache
def _definition_type(name: str) -> _Type:
    found = schema.definition(name)
    if found is None or found.is_free_form:
        return _UNTYPED
    if found.properties:
        return _Type("struct", atomic=found.map_type == "atomic", definition=name)
    return _SCALAR


@cache
def _field_type(prop: Field) -> _Type:
    if prop.ref is not None:
        base = _definition_type(prop.ref)
        if prop.map_type == "atomic" and base.kind == "struct":
            return _Type("struct", atomic=True, definition=base.definition)
        return base
    if prop.type == "array":
        list_type = prop.list_type
        if list_type is None:
            if "merge" in prop.patch_strategy:
                list_type = "map" if prop.merge_key else "set"
            else:
                list_type = "atomic"
        keys = prop.map_keys or ((prop.merge_key,) if prop.merge_key else ())
        return _Type("list", atomic=list_type == "atomic", elem=prop.items,
                     keys=keys if list_type == "map" else ())
    if prop.type == "object":
        if prop.values is not None:
            return _Type("map", atomic=prop.map_type == "atomic", elem=prop.values)
        return _UNTYPED
    return _SCALAR


def _child_type(t: _Type, key: str) -> _Type | None:
    """The type of a map/struct entry; None for a field the struct does not declare."""
    if t.kind == "struct":
        found: _Type | None = t.memo.get(key)
        if found is None:
            assert t.definition is not None
            prop = schema.field(t.definition, key)
            if prop is None:
                return None  # not remembered: any key may come, and each is looked up once
            found = t.memo[key] = _field_type(prop)
        return found
    if t.kind == "map":
        return _item_type(t)
    return _UNTYPED


_REQUIRED = ("required",)  # memo keys no field name can be
_ITEM = ("item",)


def _required(t: _Type) -> tuple[str, ...]:
    found: tuple[str, ...] | None = t.memo.get(_REQUIRED)
    if found is None:
        found = t.memo[_REQUIRED] = (schema.required(t.definition) if t.definition is not None
                                     else ())
    return found


def _item_type(t: _Type) -> _Type:
    found: _Type | None = t.memo.get(_ITEM)
    if found is None:
        found = t.memo[_ITEM] = _field_type(t.elem) if t.elem is not None else _UNTYPED
    return found


def _effective(t: _Type, value: Any) -> str:
    """How a value is treated: "leaf", "map" (granular) or "list" (associative)."""
    if t.kind == "untyped":
        return "map" if isinstance(value, dict) else "leaf"
    if t.kind in ("struct", "map"):
        return "map" if not t.atomic and isinstance(value, dict) else "leaf"
    if t.kind == "list":
        return "list" if not t.atomic and isinstance(value, list) else "leaf"
    return "leaf"


def _is_empty(value: Any) -> bool:
    return value is _ABSENT or value is None or (isinstance(value, dict | list) and not value)


def _key_default(t: _Type, key: str) -> Any:
    item = _item_type(t)
    if item.kind == "struct" and item.definition is not None:
        prop = schema.field(item.definition, key)
        if prop is not None:
            return prop.default
    return None


def _item_pe(t: _Type, item: Any) -> _PE:
    """typed/helpers.go listItemToPathElement; ValueError says why it cannot be built."""
    if t.keys:
        if not isinstance(item, dict):
            raise ValueError("associative list with keys may not have non-map elements")
        pairs = []
        for key in t.keys:
            if key in item:
                pairs.append((key, _json_key(item[key])))
            elif (default := _key_default(t, key)) is not None:
                pairs.append((key, _json_key(default)))
            else:
                raise ValueError(f'associative list with keys has an element that omits key '
                                 f'field "{key}" (and doesn\'t have default value)')
        return ("k", tuple(sorted(pairs)))
    if isinstance(item, dict):
        raise ValueError("associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise ValueError("not supported: associative list with lists as elements")
    if item is None:
        raise ValueError("associative list without keys has an element that's an explicit null")
    return ("v", _json_key(item))


def _pe_string(pe: _PE) -> str:
    """fieldpath PathElement.String, as used in conflict messages."""
    kind, data = pe
    if kind == "f":
        return f".{data}"
    if kind == "k":
        return "[" + ",".join(f"{name}={_value_string(v)}" for name, v in data) + "]"
    if kind == "v":
        return f"[={_value_string(data)}]"
    return f"[{data}]"


def _path_string(path: _Path) -> str:
    return "".join(_pe_string(pe) for pe in path)


def _value_string(tagged: tuple[str, Any]) -> str:
    """value.ToString: strings quoted (Go %q), others as %v."""
    tag, v = tagged
    if tag == "s":
        return json.dumps(v, ensure_ascii=False)
    if tag == "j":
        return str(v)
    return _go_value(v)


def _value_order(tagged: tuple[str, Any]) -> tuple[Any, ...]:
    """value.Compare: numbers, then strings, booleans, lists, maps, null."""
    tag, v = tagged
    if tag in ("i", "f"):
        return (0, v)
    if tag == "s":
        return (1, v)
    if tag == "b":
        return (2, v)
    if tag == "j":
        return (3, v)
    return (5,)


def _pe_order(pe: _PE) -> tuple[Any, ...]:
    """fieldpath PathElement.Compare: fields, then keys, values, indexes."""
    kind, data = pe
    if kind == "f":
        return (0, data)
    if kind == "k":
        return (1, tuple((name, _value_order(v)) for name, v in data))
    if kind == "v":
        return (2, _value_order(data))
    return (3, data)


@lru_cache(maxsize=65536)
def _serialize_pe(pe: _PE) -> str:
    """fieldpath/serialize-pe.go SerializePathElement."""
    kind, data = pe
    if kind == "f":
        return f"f:{data}"
    if kind == "k":
        return "k:{" + ",".join(_go_json(name) + ":" + _go_json(v) for name, (_, v) in data) + "}"
    if kind == "v":
        return "v:" + _go_json(data[1])
    return f"i:{data}"


@lru_cache(maxsize=65536)
def _deserialize_pe(text: str) -> _PE:
    kind, sep, rest = text.partition(":")
    if not sep:
        raise ValueError(f"missing colon: {text}")
    if kind == "f":
        return ("f", rest)
    if kind == "v":
        return ("v", _json_key(json.loads(rest)))
    if kind == "k":
        fields = json.loads(rest)
        if not isinstance(fields, dict):
            raise ValueError(f"bad key: {text}")
        return ("k", tuple(sorted((k, _json_key(v)) for k, v in fields.items())))
    if kind == "i":
        return ("i", int(rest))
    raise ValueError("unknown path element type")


# -- field sets ------------------------------------------------------------------------

_Trie = dict[_PE, "list[Any]"]  # pe -> [is_member, children]


def _trie(paths: Iterable[_Path]) -> _Trie:
    root: _Trie = {}
    for path in paths:
        if not path:
            continue
        node = root
        for pe in path[:-1]:
            entry = node.get(pe)
            if entry is None:
                entry = node[pe] = [False, {}]
            node = entry[1]
        entry = node.get(path[-1])
        if entry is None:
            node[path[-1]] = [True, {}]
        else:
            entry[0] = True
    return root


def _fields_v1(paths: Iterable[_Path]) -> dict[str, Any]:
    """fieldpath/serialize.go Set.ToJSON: members as ``{}``, ``.`` for a member with children."""
    def emit(node: _Trie) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for pe in sorted(node, key=_pe_order):
            member, children = node[pe]
            if children:
                inner = emit(children)
                out[_serialize_pe(pe)] = {".": {}, **inner} if member else inner
            else:
                out[_serialize_pe(pe)] = {}
        return out
    return emit(_trie(paths))


def _from_fields_v1(fields: Any, prefix: _Path = ()) -> set[_Path]:
    out: set[_Path] = set()
    if not isinstance(fields, dict):
        raise ValueError("fieldsV1 must be an object")
    for key, value in fields.items():
        if key == ".":
            out.add(prefix)
            continue
        path = (*prefix, _deserialize_pe(key))
        if value:
            out |= _from_fields_v1(value, path)
        else:
            out.add(path)
    return out


def _ensure_named_fields(paths: set[_Path], root: _Type) -> set[_Path]:
    """fieldpath Set.EnsureNamedFieldsAreMembers: struct fields on the way are members."""
    out = set(paths)
    for path in paths:
        t: _Type | None = root
        for depth, pe in enumerate(path[:-1]):
            if t is None:
                break
            if pe[0] == "f":
                child = _child_type(t, pe[1])
                if t.kind == "struct" and child is not None:
                    out.add(path[:depth + 1])
                t = child
            else:
                t = _item_type(t) if t.kind == "list" else None
    return out


class _ValidationErrors(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0] if len(errors) == 1
                         else "\n".join(["errors:", *("  " + e for e in errors)]))


def _field_set(value: Any, t: _Type, strict: bool) -> set[_Path]:
    """typed/tofieldset.go ToFieldSet; with ``strict``, validation as for an applied object
    (unknown fields, duplicate or keyless list items) raises _ValidationErrors."""
    out: set[_Path] = set()
    errors: list[str] = []

    def walk(v: Any, t: _Type, path: _Path) -> None:
        how = _effective(t, v)
        if how == "map":
            for key, child in v.items():
                child_path = (*path, ("f", key))
                child_t = _child_type(t, key)
                if child_t is None:
                    if strict:
                        errors.append(f"{_path_string(child_path)}: field not declared in schema")
                        return
                    child_t = _UNTYPED
                walk(child, child_t, child_path)
                if child is None or child == {} or t.kind != "struct":
                    out.add(child_path)
        elif how == "list":
            item_t = _item_type(t)
            seen: dict[_PE, int] = {}
            pes: list[_PE | None] = []
            for i, item in enumerate(v):
                try:
                    pe = _item_pe(t, item)
                except ValueError as exc:
                    if strict:
                        errors.append(f"{_path_string(path)}: element {i}: {exc}")
                    pes.append(None)
                    continue
                pes.append(pe)
                seen[pe] = seen.get(pe, 0) + 1
            for pe, count in seen.items():
                if count > 1:
                    if strict:
                        errors.append(f"{_path_string(path)}: duplicate entries for key "
                                      f"{_pe_string(pe)}")
                    out.add((*path, pe))
            for item, maybe_pe in zip(v, pes, strict=True):
                if maybe_pe is None or seen[maybe_pe] > 1:
                    continue
                walk(item, item_t, (*path, maybe_pe))
                out.add((*path, maybe_pe))
        elif path:
            out.add(path)

    walk(value, t, ())
    if errors:
        raise _ValidationErrors(errors)
    return out


@dataclass
class _Comparison:
    added: set[_Path] = field(default_factory=set)
    modified: set[_Path] = field(default_factory=set)
    removed: set[_Path] = field(default_factory=set)


def _compare(lhs: Any, rhs: Any, t: _Type) -> _Comparison:
    """typed/compare.go Compare: which fields ``rhs`` adds, changes and removes.

    Upstream compares typed Go objects, whose zero value already holds the non-pointer
    struct fields and the fields without ``omitempty``. The schema does not say which
    those are, so this takes struct-typed fields and required fields as always present:
    such a field that only ``rhs`` has is not itself recorded as added (its contents
    are), while other added fields, map entries and list items are.
    """
    out = _Comparison()

    def leaf(lv: Any, rv: Any, path: _Path) -> None:
        if lv is _ABSENT:
            out.added.add(path)
        elif rv is _ABSENT:
            out.removed.add(path)
        elif not _json_equal(lv, rv):
            out.modified.add(path)

    def walk(lv: Any, rv: Any, t: _Type, path: _Path, implicit: bool) -> None:
        if lv == rv:  # the common case: an unchanged subtree (true == 1 is not a concern
            return    # between two values of one typed field)
        present = rv if rv is not _ABSENT else lv
        how = _effective(t, present)
        other = lv if rv is not _ABSENT else rv
        if other is not _ABSENT and _effective(t, other) != how:
            how = "leaf"
        if how != "leaf" and _is_empty(lv) and _is_empty(rv):
            how = "leaf"
        if how == "leaf":
            leaf(lv, rv, path)
            return
        if how == "map":
            lmap = lv if isinstance(lv, dict) else {}
            rmap = rv if isinstance(rv, dict) else {}
            required = _required(t)
            for key in {**lmap, **rmap}:
                child_t = _child_type(t, key) or _UNTYPED
                walk(lmap.get(key, _ABSENT), rmap.get(key, _ABSENT), child_t,
                     (*path, ("f", key)),
                     t.kind == "struct" and (child_t.kind == "struct" or key in required))
        else:
            walk_list(lv if isinstance(lv, list) else [], rv if isinstance(rv, list) else [],
                      t, path)
        if lv is _ABSENT and not implicit:
            out.added.add(path)
        elif rv is _ABSENT:
            out.removed.add(path)

    def walk_list(lv: list[Any], rv: list[Any], t: _Type, path: _Path) -> None:
        item_t = _item_type(t)
        lvals: dict[_PE, list[Any]] = {}
        rvals: dict[_PE, list[Any]] = {}
        for items, into in ((lv, lvals), (rv, rvals)):
            for item in items:
                try:
                    into.setdefault(_item_pe(t, item), []).append(item)
                except ValueError:
                    continue
        for pe in {**lvals, **rvals}:
            ll, rl = lvals.get(pe, []), rvals.get(pe, [])
            item_path = (*path, pe)
            if len(ll) <= 1 and len(rl) <= 1:
                walk(ll[0] if ll else _ABSENT, rl[0] if rl else _ABSENT, item_t, item_path,
                     False)
            elif len(ll) >= 2 and len(rl) >= 2:
                if not _json_equal(ll, rl):
                    out.modified.add(item_path)
            elif len(ll) >= 2:
                if rl:
                    walk(_ABSENT, rl[0], item_t, item_path, False)
                out.removed.add(item_path)
            else:
                if ll:
                    walk(ll[0], _ABSENT, item_t, item_path, False)
                out.added.add(item_path)

    walk(lhs, rhs, t, (), False)
    out.added.discard(())
    out.removed.discard(())
    return out


def _created(value: dict[str, Any], t: _Type) -> set[_Path]:
    """``_compare({}, value, t).added`` without comparing: what a create adds is every
    field, so the walk only visits ``value`` (same rules: struct-typed and required
    fields are implicit, empty values and atomics are leaves, a list item whose key
    appears twice is added whole and one without a key is skipped)."""
    out: set[_Path] = set()

    def walk(v: Any, t: _Type, path: _Path, implicit: bool) -> None:
        how = _effective(t, v)
        if how == "leaf" or _is_empty(v):
            out.add(path)
            return
        if how == "map":
            struct = t.kind == "struct"
            required = _required(t) if struct else ()
            for key, child in v.items():
                child_t = _child_type(t, key) or _UNTYPED
                walk(child, child_t, (*path, ("f", key)),
                     struct and (child_t.kind == "struct" or key in required))
        else:
            item_t = _item_type(t)
            items: dict[_PE, list[Any]] = {}
            for item in v:
                try:
                    items.setdefault(_item_pe(t, item), []).append(item)
                except ValueError:
                    continue
            for pe, same in items.items():
                if len(same) == 1:
                    walk(same[0], item_t, (*path, pe), False)
                else:
                    out.add((*path, pe))
        if not implicit:
            out.add(path)

    if value and _effective(t, value) == "map":
        struct = t.kind == "struct"
        required = _required(t) if struct else ()
        for key, child in value.items():
            child_t = _child_type(t, key) or _UNTYPED
            walk(child, child_t, (("f", key),),
                 struct and (child_t.kind == "struct" or key in required))
    return out


def _merge(lhs: Any, rhs: Any, t: _Type) -> Any:
    """typed/merge.go Merge with ruleKeepRHS: the applied ``rhs`` wins on leaves."""
    if rhs is _ABSENT:
        return lhs
    if lhs is _ABSENT:
        return rhs
    how = _effective(t, rhs)
    if (how == "leaf" or _effective(t, lhs) != how
            or (_is_empty(lhs) and _is_empty(rhs))):
        return rhs
    if how == "map":
        lmap = lhs if isinstance(lhs, dict) else {}
        rmap = rhs if isinstance(rhs, dict) else {}
        out = {}
        for key in {**lmap, **rmap}:
            merged = _merge(lmap.get(key, _ABSENT), rmap.get(key, _ABSENT),
                            _child_type(t, key) or _UNTYPED)
            if merged is not _ABSENT:
                out[key] = merged
        return out
    return _merge_list(lhs if isinstance(lhs, list) else [],
                       rhs if isinstance(rhs, list) else [], t)


def _merge_list(lhs: list[Any], rhs: list[Any], t: _Type) -> list[Any]:
    """typed/merge.go visitListItems: merged items in an order that respects both sides.

    Items only in the live list keep their place; items of the applied list come in the
    applied order; shared items are merged where the applied list has them.
    """
    item_t = _item_type(t)
    rpes = [_item_pe(t, item) for item in rhs]
    robserved = dict(zip(rpes, rhs, strict=True))
    lpes: list[_PE] = []
    lobserved: dict[_PE, Any] = {}
    for item in lhs:
        pe = _item_pe(t, item)
        lobserved[pe] = item if pe not in lobserved else None  # duplicates: not merged
        lpes.append(pe)
    shared = [pe for pe in rpes if pe in lobserved]
    shared_iter = iter(shared)
    next_shared = next(shared_iter, None)
    merged_rhs: set[_PE] = set()
    out: list[Any] = []

    def emit(pe: _PE, lv: Any, rv: Any) -> None:
        value = _merge(lv, rv, item_t)
        if value is not _ABSENT:
            out.append(value)

    li = ri = 0
    while li < len(lpes) or ri < len(rpes):
        if li < len(lpes) and ri < len(rpes):
            pe = lpes[li]
            if pe == rpes[ri]:
                merged_rhs.add(pe)
                emit(pe, _or_absent(lobserved.get(pe)), robserved[pe])
                li += 1
                ri += 1
                next_shared = next(shared_iter, None)
                continue
            if pe in robserved and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(lpes):
            pe = lpes[li]
            if pe not in robserved:
                emit(pe, lhs[li], _ABSENT)
                li += 1
                continue
            if pe in merged_rhs:
                li += 1
        if ri < len(rpes):
            pe = rpes[ri]
            merged_rhs.add(pe)
            emit(pe, _or_absent(lobserved.get(pe)), robserved[pe])
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = next(shared_iter, None)
    return out


def _or_absent(value: Any) -> Any:
    return _ABSENT if value is None else value


def _remove_items(value: Any, t: _Type, trie: _Trie) -> Any:
    """typed/remove.go RemoveItems: drop the member paths in ``trie`` from ``value``.

    Containers left empty are dropped (upstream leaves a null that decoding drops).
    """
    how = _effective(t, value)
    if how == "map":
        out = {}
        for key, child in value.items():
            entry = trie.get(("f", key))
            if entry is None:
                out[key] = child
            elif not entry[0]:
                kept = _remove_items(child, _child_type(t, key) or _UNTYPED, entry[1])
                if kept is not _ABSENT:
                    out[key] = kept
        return out if out else _ABSENT
    if how == "list":
        item_t = _item_type(t)
        items = []
        for item in value:
            try:
                pe = _item_pe(t, item)
            except ValueError:
                items.append(item)
                continue
            entry = trie.get(pe)
            if entry is None:
                items.append(item)
            elif not entry[0]:
                kept = _remove_items(item, item_t, entry[1])
                if kept is not _ABSENT:
                    items.append(kept)
        return items if items else _ABSENT
    if value is None or isinstance(value, dict | list):
        return _ABSENT  # an atomic, empty or null container under a removed prefix
    return value


# -- managers ----------------------------------------------------------------------------

# managedfields/internal/stripmeta.go: never owned.
_STRIPPED: frozenset[_Path] = frozenset(
    tuple(("f", part) for part in p) for p in (
        ("apiVersion",), ("kind",), ("metadata",), ("metadata", "name"),
        ("metadata", "namespace"), ("metadata", "creationTimestamp"),
        ("metadata", "selfLink"), ("metadata", "uid"), ("metadata", "clusterName"),
        ("metadata", "generation"), ("metadata", "managedFields"),
        ("metadata", "resourceVersion"),
    ))

_BEFORE_FIRST_APPLY = "before-first-apply"  # skipnonapplied.go
_ANCIENT_CHANGES = "ancient-changes"  # capmanagers.go
_MAX_UPDATE_MANAGERS = 10  # fieldmanager.go DefaultMaxUpdateManagers


@dataclass(frozen=True)
class _ManagerId:
    """managedfields.go BuildManagerIdentifier: apiVersion only for Update entries."""

    manager: str
    operation: str
    api_version: str = ""
    subresource: str = ""

    def identifier(self) -> str:
        """The JSON string upstream keys managers by (and sorts them with)."""
        fields = {"manager": self.manager, "operation": self.operation,
                  "apiVersion": self.api_version, "subresource": self.subresource}
        return json.dumps({k: v for k, v in fields.items() if v}, separators=(",", ":"))

    def describe(self) -> str:
        """conflict.go printManager."""
        text = json.dumps(self.manager, ensure_ascii=False)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource, ensure_ascii=False)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


class _Entry:
    """One managedFields entry. An entry read from an object keeps its fieldsV1 JSON and
    is decoded only when a write touches it: most writes leave most entries alone."""

    def __init__(self, paths: set[_Path] | None, api_version: str, applied: bool,
                 time: str | None = None, raw: dict[str, Any] | None = None) -> None:
        self._paths = paths
        self.raw = raw if paths is None else None
        self.api_version = api_version
        self.applied = applied
        self.time = time

    @property
    def paths(self) -> set[_Path]:
        if self._paths is None:
            self._paths = _from_fields_v1(self.raw or {})
            self.raw = None
        return self._paths

    @paths.setter
    def paths(self, value: set[_Path]) -> None:
        self._paths, self.raw = value, None

    def owned(self, candidates: set[_Path]) -> set[_Path]:
        """Which of ``candidates`` this entry owns (without decoding it)."""
        if self._paths is not None:
            return self._paths & candidates
        return {p for p in candidates if _has_member(self.raw or {}, p)}

    def empty(self) -> bool:
        return not self.raw if self._paths is None else not self._paths

    def fields_v1(self) -> dict[str, Any]:
        return copy.deepcopy(self.raw or {}) if self._paths is None else _fields_v1(self._paths)


def _has_member(fields: dict[str, Any], path: _Path) -> bool:
    node: Any = fields
    for pe in path:
        node = node.get(_serialize_pe(pe)) if isinstance(node, dict) else None
        if node is None:
            return False
    return isinstance(node, dict) and (not node or "." in node)


_Managers = dict[_ManagerId, _Entry]


def _decode_managed(entries: Any, *, eager: bool = False) -> _Managers:
    """managedfields.go DecodeManagedFields; ValueError on malformed entries (found at
    once when ``eager``, else when an entry is first decoded)."""
    out: _Managers = {}
    if entries is None:
        return out
    if not isinstance(entries, list):
        raise ValueError("managedFields must be a list")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"managed fields entry {i} is not an object")
        operation = entry.get("operation")
        if operation not in ("Apply", "Update"):
            raise ValueError("operation must be `Apply` or `Update`")
        api_version = entry.get("apiVersion") or ""
        if not api_version:
            raise ValueError("apiVersion must not be empty")
        fields_type = entry.get("fieldsType", "")
        if fields_type != "FieldsV1":
            raise ValueError(f"missing fieldsType in managed fields entry {i}" if not fields_type
                             else f'invalid fieldsType "{fields_type}" in managed fields entry '
                                  f"{i}")
        mid = _ManagerId(str(entry.get("manager", "")), operation,
                         api_version if operation == "Update" else "",
                         str(entry.get("subresource", "")))
        fields = entry.get("fieldsV1") or {}
        if not isinstance(fields, dict):
            raise ValueError("fieldsV1 must be an object")
        out[mid] = _Entry(_from_fields_v1(fields) if eager else None, api_version,
                          operation == "Apply", entry.get("time"), raw=fields)
    return out


def _seconds(time: str | None) -> float:
    if not time:
        return 0
    try:
        return int(datetime.fromisoformat(time.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def _encode_managed(managers: _Managers) -> list[dict[str, Any]]:
    """managedfields.go encodeManagedFields, sorted like sortEncodedManagedFields."""
    rows = []
    for mid, entry in managers.items():
        row: dict[str, Any] = {"manager": mid.manager,
                               "operation": "Apply" if entry.applied else "Update",
                               "apiVersion": entry.api_version}
        if entry.time is not None:
            row["time"] = entry.time
        row["fieldsType"] = "FieldsV1"
        row["fieldsV1"] = entry.fields_v1()
        if mid.subresource:
            row["subresource"] = mid.subresource
        rows.append(row)
    if len(rows) > 1:
        rows.sort(key=lambda r: (r["operation"], _seconds(r.get("time")), r["manager"],
                                 r["apiVersion"], r.get("subresource", "")))
    return rows


def _conflict_error(conflicts: dict[_ManagerId, set[_Path]]) -> ApiError:
    """managedfields/internal/conflict.go NewConflictError."""
    managers = sorted(conflicts, key=_ManagerId.identifier)
    items = [(mid, path) for mid in managers for path in _iteration_order(conflicts[mid])]
    causes = [Cause("FieldManagerConflict", f"conflict with {mid.describe()}",
                    _path_string(path)) for mid, path in items]
    if len(items) == 1:
        mid, path = items[0]
        message = (f"Apply failed with 1 conflict: conflict with {mid.describe()}: "
                   f"{_path_string(path)}")
    else:
        lines: list[str] = []
        for mid in managers:
            lines.append(f"conflicts with {mid.describe()}:")
            lines.extend(f"- {_path_string(p)}" for p in _iteration_order(conflicts[mid]))
        message = f"Apply failed with {len(items)} conflicts: " + "\n".join(lines)
    return ApiError(409, "Conflict", message, causes=causes)


def _iteration_order(paths: set[_Path]) -> list[_Path]:
    """fieldpath Set.Iterate: at each level the members first, then the children."""
    out: list[_Path] = []

    def visit(node: _Trie, prefix: _Path) -> None:
        ordered = sorted(node, key=_pe_order)
        out.extend((*prefix, pe) for pe in ordered if node[pe][0])
        for pe in ordered:
            if node[pe][1]:
                visit(node[pe][1], (*prefix, pe))

    visit(_trie(paths), ())
    return out


class _Conflicts(Exception):
    def __init__(self, conflicts: dict[_ManagerId, set[_Path]]) -> None:
        super().__init__("apply conflicts")
        self.conflicts = conflicts


def _update_others(live: Any, new: Any, t: _Type, managers: _Managers, me: _ManagerId,
                   force: bool, ignored: Collection[str]) -> _Comparison:
    """merge/update.go Updater.update: take changed fields away from the other managers."""
    cmp = _compare(live, new, t)
    cmp.added, cmp.modified = _ignored(cmp.added, ignored), _ignored(cmp.modified, ignored)
    cmp.removed = _ignored(cmp.removed, ignored)
    changed = cmp.modified | cmp.added
    owned = {mid: e.owned(changed) for mid, e in managers.items() if mid != me}
    conflicts = {mid: paths for mid, paths in owned.items() if paths}
    if conflicts and not force:
        raise _Conflicts(conflicts)
    for mid, entry in list(managers.items()):
        if mid == me:
            continue
        lost = conflicts.get(mid, set()) | entry.owned(cmp.removed)
        if lost:
            entry.paths = entry.paths - lost
        if entry.empty():
            del managers[mid]
    return cmp


def _prune(merged: Any, t: _Type, managers: _Managers, last: set[_Path]) -> Any:
    """merge/update.go prune + addBackOwnedItems + addBackDanglingItems.

    Removes what the applier applied last time and not this time, unless some manager
    (the applier included) still owns it.
    """
    if not last:
        return merged
    last_named = _ensure_named_fields(last, t)
    pruned = _or_empty(_remove_items(merged, t, _trie(last_named)))
    merged_set = _ensure_named_fields(_field_set(merged, t, False), t)
    pruned_set = _ensure_named_fields(_field_set(pruned, t, False), t)
    owned: set[_Path] = set()
    for entry in managers.values():
        owned |= entry.paths
    owned = _ensure_named_fields(owned, t)
    pruned = _or_empty(_remove_items(merged, t, _trie(merged_set - (pruned_set | owned))))
    pruned_set = _ensure_named_fields(_field_set(pruned, t, False), t)
    return _or_empty(_remove_items(merged, t, _trie((merged_set - pruned_set) & last_named)))


def _or_empty(value: Any) -> Any:
    return {} if value is _ABSENT else value


def _without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    out = dict(obj)
    out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def _with_managed_fields(obj: dict[str, Any], managers: _Managers) -> dict[str, Any]:
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    if managers:
        meta["managedFields"] = _encode_managed(managers)
    out["metadata"] = meta
    return out


def _ignored(paths: set[_Path], ignored: Collection[str]) -> set[_Path]:
    """The IgnoreFilter of a resource's reset fields (e.g. ``status`` on the main resource)."""
    if not ignored:
        return paths
    drop = {tuple(("f", part) for part in p.split(".")) for p in ignored}
    lengths = {len(d) for d in drop}
    if len(lengths) == 1:
        n = lengths.pop()
        return {p for p in paths if p[:n] not in drop}
    return {p for p in paths if not any(p[:n] in drop for n in lengths)}


def _strip(managers: _Managers, mid: _ManagerId) -> None:
    entry = managers.get(mid)
    if entry is not None:
        entry.paths = entry.paths - _STRIPPED
        if entry.empty():
            del managers[mid]


def _root(type_name: str) -> tuple[_Type, str]:
    found = schema.gvks(type_name)
    if not found:
        raise _internal(f"no kind is registered for the type {type_name}")
    return _definition_type(type_name), found[0].api_version


def _update(live: Any, new: Any, t: _Type, version: str, managers: _Managers,
            mid: _ManagerId, now: str, ignored: Collection[str]) -> _Managers:
    """The Update half of the field manager chain (fieldmanager.go NewDefaultFieldManager):
    managedFieldsUpdater + stripMeta + structured merge Updater.Update, then capManagers."""
    current = _ManagerId("current-operation", "Update", version)
    cmp = _update_others(live, new, t, managers, current, True, ignored)
    paths = (cmp.modified | cmp.added) - _STRIPPED
    if paths:
        previous = managers.get(mid)
        if previous is not None:
            paths |= previous.paths
        managers[mid] = _Entry(paths, version, False, now)
    _cap_update_managers(managers)
    return managers


def _cap_update_managers(managers: _Managers) -> None:
    """capmanagers.go: at most ten Update entries; the oldest merge into ancient-changes."""
    updaters = [mid for mid, e in managers.items() if not e.applied]
    if len(updaters) <= _MAX_UPDATE_MANAGERS:
        return
    updaters.sort(key=lambda m: (_seconds(managers[m].time), m.identifier()))
    first_by_version: dict[str, _ManagerId] = {}
    length = len(updaters)
    for mid in updaters:
        if length <= _MAX_UPDATE_MANAGERS:
            break
        entry = managers[mid]
        bucket = _ManagerId(_ANCIENT_CHANGES, "Update", entry.api_version)
        first = first_by_version.get(entry.api_version)
        if first is None:
            first_by_version[entry.api_version] = mid
            continue
        if bucket not in managers:
            managers[bucket] = managers.pop(first)
        managers[bucket] = _Entry(entry.paths | managers[bucket].paths, entry.api_version,
                                  False, entry.time)
        del managers[mid]
        length -= 1


def update_managed_fields(live: dict[str, Any] | None, new: dict[str, Any], type_name: str,
                          manager: str, now: str, *, subresource: str = "",
                          ignored: Collection[str] = ()) -> dict[str, Any]:
    """Record an ordinary write (create, update, non-apply patch) in ``managedFields``.

    Returns ``new`` (shallow-copied) with ``metadata.managedFields`` set, as
    fieldmanager.go ``FieldManager.UpdateNoErrors`` does: ``manager`` (the fieldManager
    query parameter, else the user agent's first segment; "unknown" when empty) gets an
    ``Update`` entry owning what this write changed, taken away from other managers.
    ``live`` is None on create. Objects that exist but have no managed fields are not
    tracked (skipnonapplied.go). A request may reset the entries by sending
    ``managedFields: [{}]`` or ``[]``. ``ignored`` lists the resource's reset fields
    (``status`` for the main resource of kinds with a status subresource) whose changes
    no one owns. On a malformed input the entries are dropped, as upstream does.
    """
    t, version = _root(type_name)
    mid = _ManagerId(manager or "unknown", "Update", version, subresource)
    if live is None and _managed_entries(new) is None:
        # A create that sends no entries (nearly all): no one else owns anything, and
        # what this write changes is every field it has.
        paths = _ignored(_created(_without_managed_fields(new), t), ignored) - _STRIPPED
        return _with_managed_fields(new, {mid: _Entry(paths, version, False, now)}
                                    if paths else {})
    try:
        managers = _live_or_new_managers(live, new, subresource)
        if not managers and live is not None:
            return _with_managed_fields(new, {})
        old = _without_managed_fields(live) if live is not None else {}
        _update(old, _without_managed_fields(new), t, version, managers, mid, now, ignored)
    except ValueError:
        return _with_managed_fields(new, {})
    # No change recorded means no timestamp moved, so equality.go has nothing to revert.
    return _with_managed_fields(new, managers)


def _managed_entries(obj: dict[str, Any] | None) -> Any:
    meta = obj.get("metadata") if obj else None
    return meta.get("managedFields") if isinstance(meta, dict) else None


def _resets(obj: dict[str, Any]) -> bool:
    """fieldmanager.go isResetManagedFields: ``[]`` or ``[{}]``."""
    entries = _managed_entries(obj)
    return isinstance(entries, list) and entries in ([], [{}])


def _decode_managed_or_empty(obj: dict[str, Any] | None) -> _Managers:
    try:
        return _decode_managed(_managed_entries(obj))
    except ValueError:
        return {}


def _live_or_new_managers(live: dict[str, Any] | None, new: dict[str, Any],
                          subresource: str) -> _Managers:
    """fieldmanager.go decodeLiveOrNew."""
    if subresource:
        return _decode_managed_or_empty(live)
    if _resets(new):
        return {}
    managers = _decode_managed_or_empty(new)
    return managers if managers else _decode_managed_or_empty(live)


def apply(live: dict[str, Any] | None, applied: Any, type_name: str, manager: str,
          force: bool, now: str, *, subresource: str = "",
          ignored: Collection[str] = ()) -> dict[str, Any]:
    """Server-side apply (``application/apply-patch+yaml``) of ``applied`` onto ``live``.

    ``live`` is None when the object does not exist yet (the caller then creates the
    result: 201). Returns the new object with ``metadata.managedFields`` updated: the
    ``manager`` gets an ``Apply`` entry owning exactly the fields of ``applied``; fields
    it applied before and no longer applies are removed unless another manager owns them;
    changing a field another manager owns is a 409 ``Conflict`` unless ``force``. ``now``
    is the RFC 3339 time recorded in the entry. ``ignored`` is as for
    :func:`update_managed_fields`; the caller still resets those fields' values.

    Follows fieldmanager.go's Apply chain (version check, last-applied annotation upgrade
    and sync for manager "kubectl", ownership of pre-existing fields by
    "before-first-apply", strip of metadata fields) over structured-merge-diff's
    Updater.Apply.
    """
    if not manager:
        raise Invalid("PatchOptions", "", [Cause("FieldValueRequired",
                                                 "Required value: is required for apply patch",
                                                 "fieldManager")], group="meta.k8s.io")
    if not isinstance(applied, dict):
        raise BadRequest(f"error decoding YAML: json: cannot unmarshal {_json_kind(applied)} "
                         "into Go value of type map[string]interface {}")
    t, version = _root(type_name)
    kind = schema.gvks(type_name)[0].kind
    got_version, got_kind = applied.get("apiVersion", ""), applied.get("kind", "")
    if got_version != version or got_kind != kind:
        group, _, ver = str(got_version).rpartition("/")
        raise BadRequest(f"invalid object type: {group}/{ver}, Kind={got_kind}")
    meta = applied.get("metadata")
    if isinstance(meta, dict) and meta.get("managedFields") is not None:
        raise BadRequest("metadata.managedFields must be nil")
    try:
        config_set = _field_set(applied, t, True)
    except _ValidationErrors as exc:
        raise _bad_patch(f"failed to create typed patch object ({_gvknn(applied, version, kind)})"
                        f": {exc}") from None
    current = _without_managed_fields(live) if live is not None else {}
    mid = _ManagerId(manager, "Apply", "", subresource)
    config_set = _ignored(config_set, ignored)

    def attempt(force: bool) -> tuple[Any, _Managers]:
        try:
            managers = _decode_managed(_managed_entries(live), eager=True)
        except ValueError as exc:
            raise _internal(f"failed to decode managed fields: {exc}") from None
        if not managers:  # skipnonapplied.go: what exists now belongs to before-first-apply
            before = _ManagerId(_BEFORE_FIRST_APPLY, "Update", version)
            _update({}, current, t, version, managers, before, now, ignored)
        try:
            result = _apply_once(current, applied, t, version, managers, mid, config_set,
                                 force, ignored)
        except ValueError as exc:
            raise _internal(f"failed to create typed live object "
                            f"({_gvknn(current, version, kind)}): {exc}") from None
        return result, managers

    try:
        result, managers = attempt(force)
    except _Conflicts as exc:
        # lastappliedmanager.go: kubectl taking over from its own client-side apply
        allowed = _allowed_by_last_applied(current, t, version) if manager == "kubectl" else None
        rest = {m: p - allowed for m, p in exc.conflicts.items()} if allowed is not None else {}
        rest = {m: p for m, p in rest.items() if p}
        if allowed is None or rest:
            raise _conflict_error(rest or exc.conflicts) from None
        result, managers = attempt(True)
    _strip(managers, mid)
    if result is None:
        result = copy.deepcopy(current)
    else:
        if mid in managers:
            managers[mid].time = now
        result = _omit_empty(result, t)
    if manager == "kubectl":
        _sync_last_applied(result, applied)
    return _keep_times_when_unchanged(live, _with_managed_fields(result, managers))


def _apply_once(live: dict[str, Any], applied: dict[str, Any], t: _Type, version: str,
                managers: _Managers, mid: _ManagerId, config_set: set[_Path],
                force: bool, ignored: Collection[str]) -> Any:
    """merge/update.go Updater.Apply; None when the object does not change."""
    merged = _merge(live, copy.deepcopy(applied), t)
    last = managers[mid].paths if mid in managers else set()
    previous_time = managers[mid].time if mid in managers else None
    managers[mid] = _Entry(set(config_set), version, True, previous_time)
    merged = _prune(merged, t, managers, last)
    _update_others(live, merged, t, managers, mid, force, ignored)
    return None if _json_equal(live, merged) else merged


def _allowed_by_last_applied(live: dict[str, Any], t: _Type, version: str) -> set[_Path] | None:
    """lastappliedmanager.go: conflicts a kubectl client-side apply history allows."""
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(LAST_APPLIED_ANNOTATION) if isinstance(annotations, dict) else None
    if not text:
        return None
    try:
        last = json.loads(text)
        if not isinstance(last, dict) or last.get("apiVersion") != version:
            return None
        paths = _field_set(last, t, True)
    except (ValueError, _ValidationErrors):
        return None
    cmp = _compare(last, live, t)
    return paths - cmp.modified - cmp.added - cmp.removed


def _sync_last_applied(result: dict[str, Any], applied: dict[str, Any]) -> None:
    """lastappliedupdater.go: keep kubectl's client-side annotation in step."""
    meta = result.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(annotations, dict) or not annotations.get(LAST_APPLIED_ANNOTATION):
        return
    body = copy.deepcopy(applied)
    body_annotations = (body.get("metadata") or {}).get("annotations")
    if isinstance(body_annotations, dict):
        body_annotations.pop(LAST_APPLIED_ANNOTATION, None)
    # unstructured JSON encoding: json.Encoder, sorted keys, trailing newline
    annotations[LAST_APPLIED_ANNOTATION] = _go_json(body, sort_keys=True) + "\n"


def _omit_empty(value: Any, t: _Type) -> Any:
    """What survives decoding into the typed object and encoding again upstream: no null
    members, and no empty maps or optional lists (``omitempty``). Struct values such as
    ``emptyDir: {}`` stay; free-form values are kept as they are."""
    if t.kind == "untyped":
        return value
    if isinstance(value, dict) and t.kind in ("struct", "map"):
        required = _required(t)
        out = {}
        for key, child in value.items():
            child_t = _child_type(t, key) or _UNTYPED
            if child is None or (child == {} and child_t.kind == "map") or (
                    child == [] and key not in required):
                continue
            out[key] = _omit_empty(child, child_t)
        return out
    if isinstance(value, list) and t.kind == "list":
        item_t = _item_type(t)
        return [_omit_empty(item, item_t) for item in value]
    return value


def _keep_times_when_unchanged(live: dict[str, Any] | None,
                               result: dict[str, Any]) -> dict[str, Any]:
    """apiserver handlers/fieldmanager/equality.go IgnoreManagedFieldsTimestampsTransformer:
    a write that changes nothing but managedFields timestamps keeps the old timestamps."""
    if live is None:
        return result
    old, new = _managed_entries(live) or [], _managed_entries(result) or []

    def timeless(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "time"} for e in entries]

    if not _json_equal(timeless(old), timeless(new)) or not _json_equal(
            _without_managed_fields(live), _without_managed_fields(result)):
        return result
    out = dict(result)
    out["metadata"] = {**result["metadata"], "managedFields": copy.deepcopy(old)}
    if not old:
        del out["metadata"]["managedFields"]
    return out


def _gvknn(obj: dict[str, Any], version: str, kind: str) -> str:
    """structuredmerge.go objectGVKNN."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    group, _, ver = version.rpartition("/")
    return (f"{meta.get('namespace', '')}/{meta.get('name', '')}; "
            f"{group}/{ver}, Kind={kind}")

