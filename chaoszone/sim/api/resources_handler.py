"""The REST verbs on resources and their subresources.

Path grammar (after ``/api/`` or ``/apis/``):
``{group}/{version}[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]``; the core group
has no ``{group}`` segment. Namespaced kinds listed without a namespace are listed
across all namespaces.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import unicodedata
from typing import Any

from aiohttp import web

from chaoszone.sim import admission, errors, rbac, schema, selectors
from chaoszone.sim.api import body as bodies
from chaoszone.sim.api import discovery, patch, tables, watch_stream
from chaoszone.sim.api.negotiation import Output, negotiate, parse_bool, parse_int, query_one
from chaoszone.sim.cluster import Cluster
from chaoszone.sim.eviction import evict
from chaoszone.sim.registry import RETURNS_DELETED_OBJECT, DeleteOptions, Registry
from chaoszone.sim.resources import ResourceType, by_path
from chaoszone.sim.store import Store
from chaoszone.sim.watch import Stored, convert

__all__ = ["Resources"]

_NOT_FOUND = "the server could not find the requested resource"
#: who sent the request, set by the app's authentication middleware
IDENTITY = web.RequestKey("identity", rbac.Identity)
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply-cbor",
}
#: the patch types a 415 lists (CBOR apply is behind a feature gate that 1.32 leaves off)
PATCH_MEDIA_TYPES = tuple(t for t, k in PATCH_TYPES.items() if k != "apply-cbor")


def _not_found() -> errors.ApiError:
    return errors.ApiError(404, "NotFound", _NOT_FOUND)


class Target:
    """What a request path names."""

    __slots__ = ("name", "namespace", "rt", "sub")

    def __init__(self, rt: ResourceType, namespace: str | None, name: str | None,
                 sub: str | None) -> None:
        self.rt, self.namespace, self.name, self.sub = rt, namespace, name, sub


def parse_path(group: str | None, tail: str) -> tuple[str, str, list[str]]:
    parts = [p for p in tail.split("/")]
    if parts and parts[-1] == "":
        parts.pop()
    if group is None:
        if len(parts) < 2:
            return (parts[0] if parts else ""), "", []
        return parts[0], parts[1], parts[2:]
    return "", (parts[0] if parts else ""), parts[1:]


def resolve(group: str, version: str, rest: list[str]) -> Target:
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        ns_rt = by_path("", "v1", "namespaces")
        if group == "" and ns_rt is not None and rest[2] in ("status", "finalize"):
            if len(rest) != 3:
                raise _not_found()
            return Target(ns_rt, None, rest[1], rest[2])
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise _not_found()
    rt = by_path(group, version, rest[0])
    if rt is None:
        raise _not_found()
    if namespace is not None and not rt.namespaced:
        raise _not_found()
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and rt.subresource(sub) is None:
        raise _not_found()
    if name == "":
        raise _not_found()
    return Target(rt, namespace, name, sub)


class Resources:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        #: writes the watch streams' events (chaoszone.sim.api.watch_stream)
        self.fanout = watch_stream.Fanout()

    # The cluster makes a new registry and store on reset: always ask it for the current.
    @property
    def registry(self) -> Registry:
        return self.cluster.registry

    @property
    def store(self) -> Store:
        return self.cluster.store

    async def dispatch(self, request: web.Request, group: str | None, tail: str
                       ) -> web.StreamResponse:
        self.cluster.check_available()
        grp, version, rest = parse_path(group, tail)
        if not rest:
            if request.method != "GET":
                raise errors.MethodNotAllowed(
                    "the server does not allow this method on the requested resource")
            if group is None and not version:
                doc = discovery.api_group(grp)
            else:
                doc = discovery.resource_list(grp, version)
            if doc is None:
                raise _not_found()
            return _json(doc)
        if grp == "" and len(rest) == 3 and rest[0] == "namespaces" and rest[2] == "bindings":
            return await self._bindings(request, version, rest[1])
        target = resolve(grp, version, rest)
        method = request.method
        identity = request[IDENTITY]
        if not identity.admin:
            self._authorize(request, identity, target)
        if target.sub is not None:
            return await self._subresource(request, target)
        if target.name is None:
            if method == "GET":
                if parse_bool("watch", query_one(request.query, "watch")):
                    return await self.watch(request, target)
                return await self.list_objects(request, target)
            if method == "POST":
                if target.rt.namespaced and target.namespace is None:
                    raise errors.MethodNotAllowed(
                        "the server does not allow this method on the requested resource")
                return await self.create(request, target)
            if method == "DELETE":
                return await self.delete_collection(request, target)
            raise errors.MethodNotAllowed(
                "the server does not allow this method on the requested resource")
        if target.rt.namespaced and target.namespace is None:
            raise _not_found()
        if method == "GET":  # a named GET ignores ?watch, as upstream's get handler does
            return self.get(request, target)
        if method == "PUT":
            return await self.update(request, target)
        if method == "PATCH":
            return await self.patch(request, target)
        if method == "DELETE":
            return await self.delete(request, target)
        raise errors.MethodNotAllowed(
            "the server does not allow this method on the requested resource")

    def _authorize(self, request: web.Request, who: rbac.Identity, target: Target) -> None:
        method, rt = request.method, target.rt
        watching = parse_bool("watch", query_one(request.query, "watch"))
        if method == "GET":
            verb = "get" if target.name else ("watch" if watching else "list")
        else:
            verb = {"POST": "create", "PUT": "update", "PATCH": "patch",
                    "DELETE": "delete" if target.name else "deletecollection"}.get(method, "")
        namespace = target.namespace or ""
        if rt.kind == "Namespace" and target.name:
            namespace = target.name
        req = rbac.Request(verb, rt.group, rt.plural, target.sub or "", namespace,
                           target.name or "")
        if not rbac.authorize(self.store, who, req):
            raise rbac.forbidden(who, req)

    # -- rendering -------------------------------------------------------------

    def _render_one(self, request: web.Request, rt: ResourceType, stored: Stored,
                    status: int = 200) -> web.StreamResponse:
        out = negotiate(request.headers.get("Accept"))
        if out.form == "object":
            return web.Response(status=status, body=stored.raw,
                                headers={"Content-Type": "application/json"})
        if out.form == "yaml":
            return _yaml(stored.obj, status)
        if out.form == "metadata":
            return _json(_partial(stored, out), status)
        include = query_one(request.query, "includeObject") or "Metadata"
        return _json(tables.table(rt, [stored.obj], resource_version=stored.meta.get(
            "resourceVersion", ""), include_object=include, now=self.cluster.clock.datetime(),
            meta_version=out.meta_version),
            status, f"application/json;as=Table;v={out.meta_version};g=meta.k8s.io")

    # -- reads -----------------------------------------------------------------

    def get(self, request: web.Request, target: Target) -> web.StreamResponse:
        assert target.name is not None
        stored = self.registry.get(target.rt, target.namespace or "", target.name)
        return self._render_one(request, target.rt, stored)

    def _filters(self, request: web.Request, rt: ResourceType
                 ) -> tuple[selectors.LabelSelector, selectors.FieldSelector]:
        labels = selectors.LabelSelector.parse(query_one(request.query, "labelSelector") or "")
        fields = selectors.FieldSelector.parse(query_one(request.query, "fieldSelector") or "", rt)
        return labels, fields

    async def list_objects(self, request: web.Request, target: Target) -> web.StreamResponse:
        rt, query = target.rt, request.query
        out = negotiate(request.headers.get("Accept"))
        labels, fields = self._filters(request, rt)
        limit = parse_int("limit", query_one(query, "limit")) or 0
        cont = query_one(query, "continue") or ""
        rv = query_one(query, "resourceVersion") or ""
        match = query_one(query, "resourceVersionMatch") or ""
        parse_int("timeoutSeconds", query_one(query, "timeoutSeconds"))
        _validate_list_options(rv, match, cont, query_one(query, "sendInitialEvents"))
        namespace = target.namespace
        name_pin = fields.exact("metadata.name")
        start_after = ""
        at = 0
        if cont:
            at, start_after = _decode_continue(cont)
            if at == _LATEST:  # the token a 410 offered: go on at the newest version
                at = self.store.resource_version
            try:
                items = self.store.snapshot(rt, namespace, at)
            except errors.ApiError as err:
                if err.code != 410:
                    raise
                # etcd3 store.go handleCompactedErrorForPaging
                err.message = _INCONSISTENT_CONTINUE
                err.continue_token = _encode_continue(_LATEST, start_after)
                raise
        elif rv and match == "Exact":
            at = _parse_rv(rv)
            items = self.store.snapshot(rt, namespace, at)
        elif (rv and rv != "0" and match == "NotOlderThan") or (rv and rv != "0" and not match):
            wanted = _parse_rv(rv)
            if wanted > self.store.resource_version:
                raise errors.ApiError(504, "Timeout", f"Too large resource version: {wanted}, "
                                      f"current: {self.store.resource_version}")
            at = self.store.resource_version
            items = list(self.store.items(rt, namespace)) if name_pin is None else []
        else:
            at = self.store.resource_version
            items = list(self.store.items(rt, namespace)) if name_pin is None else []
        if name_pin is not None and not cont and not (rv and match == "Exact"):
            if namespace is not None or not rt.namespaced:
                one = self.store.get(rt, namespace or "", name_pin)
                items = [one] if one is not None else []
            else:
                items = [s for s in self.store.items(rt, None) if s.name == name_pin]
        selected: list[Stored] = []
        more = ""
        remaining = 0
        for index, stored in enumerate(items):
            if start_after and _sort_key(stored) <= start_after:
                continue
            if not labels.empty and not labels.matches(stored.labels):
                continue
            if not fields.empty and not fields.matches(stored.obj):
                continue
            if limit and len(selected) == limit:
                more = _encode_continue(at, _sort_key(selected[-1]))
                remaining = len(items) - index
                break
            selected.append(stored)
        meta: dict[str, Any] = {"resourceVersion": str(at)}
        if more:
            meta["continue"] = more
            # etcd3 store.go GetList: the count is exact only when nothing is filtered out
            if labels.empty and fields.empty:
                meta["remainingItemCount"] = remaining
        if out.form == "table":
            include = query_one(query, "includeObject") or "Metadata"
            table = tables.table(rt, [s.obj for s in selected], resource_version=str(at),
                                 include_object=include, now=self.cluster.clock.datetime(),
                                 continue_token=more, meta_version=out.meta_version)
            return _json(table, 200,
                         f"application/json;as=Table;v={out.meta_version};g=meta.k8s.io")
        if out.form == "metadata":
            return _json({"kind": "PartialObjectMetadataList",
                          "apiVersion": f"meta.k8s.io/{out.meta_version}", "metadata": meta,
                          "items": [_partial(s, out) for s in selected]})
        if out.form == "yaml":
            return _yaml({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta,
                          "items": [s.obj for s in selected]})
        head = json.dumps({"kind": rt.list_kind, "apiVersion": rt.api_version,
                           "metadata": meta}, separators=(",", ":")).encode()
        payload = b"".join((head[:-1], b',"items":[', b",".join(s.raw for s in selected), b"]}"))
        return web.Response(body=payload, headers={"Content-Type": "application/json"})

    async def watch(self, request: web.Request, target: Target) -> web.StreamResponse:
        rt, query = target.rt, request.query
        out = negotiate(request.headers.get("Accept"))
        labels, fields = self._filters(request, rt)
        rv = query_one(query, "resourceVersion") or ""
        timeout = parse_int("timeoutSeconds", query_one(query, "timeoutSeconds"))
        bookmarks = parse_bool("allowWatchBookmarks", query_one(query, "allowWatchBookmarks"))
        initial = query_one(query, "sendInitialEvents")
        send_initial = parse_bool("sendInitialEvents", initial)
        match = query_one(query, "resourceVersionMatch") or ""
        if initial is not None:
            if match != "NotOlderThan":
                raise errors.Invalid("ListOptions", "", [errors.Cause(
                    "FieldValueForbidden",
                    "Forbidden: sendInitialEvents is forbidden for watch unless the "
                    "resourceVersionMatch is set to NotOlderThan", "sendInitialEvents")],
                    "meta.k8s.io")
            if send_initial and not bookmarks:
                raise errors.Invalid("ListOptions", "", [errors.Cause(
                    "FieldValueForbidden",
                    "Forbidden: allowWatchBookmarks must be set to true when "
                    "sendInitialEvents is set to true", "allowWatchBookmarks")], "meta.k8s.io")
        elif match:
            raise errors.Invalid("ListOptions", "", [errors.Cause(
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents "
                "is provided", "resourceVersionMatch")], "meta.k8s.io")

        def accept(stored: Stored) -> bool:
            if not labels.empty and not labels.matches(stored.labels):
                return False
            return fields.empty or fields.matches(stored.obj)

        filt = None if labels.empty and fields.empty else accept
        namespace = target.namespace
        replay: list[tuple[str, Stored]] = []
        if rv in ("", "0") or send_initial:
            replay = [("ADDED", s) for s in self.store.items(rt, namespace)
                      if filt is None or filt(s)]
        else:
            try:
                since = int(rv)
            except ValueError:
                raise errors.BadRequest(f'invalid resource version "{rv}"') from None
            try:
                for event in self.store.hub.since(rt, since):
                    item = convert(event, namespace, filt)
                    if item is not None:
                        replay.append(item)
            except errors.ApiError as err:
                return await self._watch_error(request, err)
        # Watches with the same selectors share a feed: each event is filtered once.
        key = (query_one(query, "labelSelector") or "", query_one(query, "fieldSelector") or "")
        hub = self.store.hub
        watcher = hub.subscribe(rt, namespace, filt, key=key, notify=False,
                                backlog=[] if send_initial else replay)
        start_rv = self.store.resource_version
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        try:
            writer = await response.prepare(request)
        except BaseException:
            watcher.close()
            raise
        assert writer is not None  # a fresh response is never prepared already

        def encode(batch: list[tuple[str, Stored]], first: bool) -> bytes:
            return self._encode(rt, batch, out, request, first)

        stream = watch_stream.Stream(self.fanout, watcher, request, writer,
                                     None if out.form == "object" else encode)

        def bookmark() -> bytes:
            return _bookmark(rt, self.store.resource_version)

        try:
            if send_initial:
                # the initial objects and the bookmark that ends them, before any event
                stream.send(encode(replay, True) + _bookmark(rt, start_rv, initial_end=True))
            await stream.serve(timeout, bookmark if bookmarks and out.form == "object" else None)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            watcher.close()
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await response.write_eof()
        return response

    async def _watch_error(self, request: web.Request, err: errors.ApiError) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(json.dumps({"type": "ERROR", "object": err.status()}).encode() + b"\n")
        await response.write_eof()
        return response

    def _encode(self, rt: ResourceType, batch: list[tuple[str, Stored]], out: Output,
                request: web.Request, first: bool) -> bytes:
        if out.form == "object":
            return b"".join(watch_stream.event_lines(batch))
        lines = []
        include = query_one(request.query, "includeObject") or "Metadata"
        for t, s in batch:
            if out.form == "table":
                obj: Any = tables.watch_event_table(
                    rt, s.obj, include_object=include, now=self.cluster.clock.datetime(),
                    include_column_definitions=first, meta_version=out.meta_version)
                first = False
            elif out.form == "metadata":
                obj = _partial(s, out)
            else:
                obj = s.obj
            lines.append(json.dumps({"type": t, "object": obj}, separators=(",", ":")).encode())
        return b"\n".join(lines) + b"\n"

    # -- writes ----------------------------------------------------------------

    def _write_options(self, request: web.Request, options: str = "CreateOptions"
                       ) -> tuple[bool, str]:
        """dryRun, fieldValidation, fieldManager and force, checked as upstream's
        Validate{Create,Update,Patch,Delete}Options do (a 422 ``{options}.meta.k8s.io``);
        returns whether this is a dry run and the field validation directive."""
        query = request.query
        causes: list[errors.Cause] = []
        manager = query_one(query, "fieldManager") or ""
        if options == "PatchOptions":
            patch_kind = PATCH_TYPES.get(bodies.media_type(request.headers.get("Content-Type")))
            if patch_kind in ("apply", "apply-cbor"):
                if not manager:
                    causes.append(errors.Cause("FieldValueRequired",
                                               "Required value: is required for apply patch",
                                               "fieldManager"))
            elif "force" in query:
                causes.append(errors.Cause("FieldValueForbidden",
                                           "Forbidden: may not be specified for non-apply patch",
                                           "force"))
        if options != "DeleteOptions":
            if len(manager.encode()) > 128:
                causes.append(errors.Cause("FieldValueTooLong",
                                           "Too long: may not be more than 128 bytes",
                                           "fieldManager"))
            for i, char in enumerate(manager):
                if not char.isprintable():
                    causes.append(errors.Cause(
                        "FieldValueInvalid", f"Invalid value: {json.dumps(manager)}: invalid "
                        f"character U+{ord(char):04X} (at position "
                        f"{len(manager[:i].encode())})", "fieldManager"))
        dry = query.getall("dryRun", [])
        if any(value != "All" for value in dry):
            listed = ", ".join(json.dumps(value) for value in dry)
            causes.append(errors.Cause(
                "FieldValueNotSupported",
                f'Unsupported value: []string{{{listed}}}: supported values: "All"', "dryRun"))
        validation = query_one(query, "fieldValidation") or ""
        if options != "DeleteOptions" and validation not in ("", "Ignore", "Warn", "Strict"):
            causes.append(errors.Cause(
                "FieldValueNotSupported",
                f'Unsupported value: {json.dumps(validation)}: supported values: "", "Ignore", '
                f'"Strict", "Warn"', "fieldValidation"))
        if causes:
            raise errors.Invalid(options, "", causes, "meta.k8s.io")
        return bool(dry), validation or "Warn"

    async def _read_body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > bodies.MAX_BODY:
            raise errors.RequestEntityTooLarge(
                f"Request entity too large: limit is {bodies.MAX_BODY}")
        return await request.read()

    def _check_fields(self, obj: dict[str, Any], rt: ResourceType, validation: str,
                      duplicates: list[str]) -> list[str]:
        """Strict decoding problems of a create or update body: under Strict a 400, under
        Warn the warnings; either way unknown fields are dropped, as decoding into the typed
        object drops them."""
        problems = [] if validation == "Ignore" else bodies.field_problems(obj, rt, duplicates)
        if problems and validation == "Strict":
            raise errors.BadRequest(f'{rt.kind} in version "{rt.version}" cannot be handled as a '
                                    f"{rt.kind}: strict decoding error: " + ", ".join(problems))
        if validation == "Ignore" or len(problems) > len(duplicates):
            # field_problems walked the object as pruning does: nothing unknown, nothing to cut
            schema.prune_unknown_fields(obj, _type_name(rt))
        schema.normalize_times(obj, _type_name(rt))
        return problems

    def _managed(self, request: web.Request, rt: ResourceType, live: Stored | None,
                 new: dict[str, Any], subresource: str = "") -> dict[str, Any]:
        """Record an ordinary write in managedFields (fieldmanager.go UpdateNoErrors), on the
        object as upstream's request decoder defaults it: the writer owns the defaulted
        fields too."""
        admission.default(rt, new, storage=False)
        manager = query_one(request.query, "fieldManager") or request.headers.get(
            "User-Agent", "").split("/", 1)[0]
        if subresource == "status":
            ignored: tuple[str, ...] = ("spec",)
        else:
            ignored = ("status",) if rt.has_status else ()
        return patch.update_managed_fields(
            live.obj if live is not None else None, new, _type_name(rt), manager,
            self.cluster.clock.timestamp(), subresource=subresource, ignored=ignored)

    def _patch_fields(self, obj: dict[str, Any], rt: ResourceType, validation: str,
                      raw: bytes) -> list[str]:
        """A patched object that does not decode into its type (a field of the wrong JSON
        type) is a 422, and so are unknown fields under Strict, as patch.go reports them;
        otherwise unknown fields are dropped, as decoding into the typed object drops them."""
        wrong = schema.type_error(obj, _type_name(rt))
        if wrong:
            raise _invalid_patch(raw, wrong)
        problems = [] if validation == "Ignore" else bodies.field_problems(obj, rt, [])
        if problems and validation == "Strict":
            raise _invalid_patch(raw, "strict decoding error: " + ", ".join(problems))
        if validation == "Ignore" or problems:
            schema.prune_unknown_fields(obj, _type_name(rt))
        schema.normalize_times(obj, _type_name(rt))
        return problems

    async def create(self, request: web.Request, target: Target) -> web.StreamResponse:
        dry, validation = self._write_options(request)
        raw = await self._read_body(request)
        obj, dupes = bodies.decode_object(raw, request.headers.get("Content-Type"), target.rt)
        warnings = self._check_fields(obj, target.rt, validation, dupes)
        obj = self._managed(request, target.rt, None, obj)
        stored = self.registry.create(target.rt, target.namespace, obj, dry_run=dry)
        return _warn(self._render_one(request, target.rt, stored, 201), warnings)

    async def update(self, request: web.Request, target: Target) -> web.StreamResponse:
        assert target.name is not None
        dry, validation = self._write_options(request, "UpdateOptions")
        raw = await self._read_body(request)
        obj, dupes = bodies.decode_object(raw, request.headers.get("Content-Type"), target.rt)
        warnings = self._check_fields(obj, target.rt, validation, dupes)
        _check_identity(obj, target)
        live = self.store.get(target.rt, (target.namespace or "") if target.rt.namespaced
                              else "", target.name)
        obj = self._managed(request, target.rt, live, obj)
        stored, created = self.registry.update(target.rt, target.namespace, target.name, obj,
                                               dry_run=dry)
        return _warn(self._render_one(request, target.rt, stored, 201 if created else 200),
                     warnings)

    def _patched(self, request: web.Request, target: Target, kind: str, raw: bytes,
                 current: dict[str, Any] | None, force: bool) -> dict[str, Any]:
        rt = target.rt
        type_name = _type_name(rt)
        if kind == "apply":
            doc = bodies.decode_document(raw, "application/yaml")
            if not isinstance(doc, dict):
                raise errors.BadRequest("the apply patch must be an object")
            bodies.check_type(doc, rt.kind, rt.api_version)
            if not doc.get("apiVersion") or not doc.get("kind"):
                raise errors.BadRequest(
                    "invalid object type: apiVersion and kind must be set in an apply patch")
            manager = query_one(request.query, "fieldManager") or ""
            return patch.apply(current, doc, type_name, manager, force,
                               self.cluster.clock.timestamp())
        assert current is not None
        doc = bodies.load_json(raw)
        bodies.pop_duplicates(doc)
        # ``current`` is this request's own copy of the live object: patch it in place
        if kind in ("json", "merge"):
            result = (patch.json_patch(current, doc, in_place=True) if kind == "json"
                      else patch.merge_patch(current, doc, in_place=True))
            if not isinstance(result, dict):  # patch.go: DecodeInto the type fails
                raise _invalid_patch(raw, bodies.kind_error(result))
            return result
        if not isinstance(doc, dict):  # patch.go: the patch must unmarshal into a map
            raise errors.BadRequest(f"json: cannot unmarshal {bodies.json_kind(doc)} into Go "
                                    "value of type map[string]interface {}")
        return patch.strategic_merge_patch(current, doc, type_name, in_place=True)

    async def patch(self, request: web.Request, target: Target) -> web.StreamResponse:
        assert target.name is not None
        rt = target.rt
        kind = PATCH_TYPES.get(bodies.media_type(request.headers.get("Content-Type")))
        if kind is None or kind == "apply-cbor":
            raise errors.UnsupportedMediaType(
                bodies.media_type(request.headers.get("Content-Type")), PATCH_MEDIA_TYPES)
        dry, validation = self._write_options(request, "PatchOptions")
        force = parse_bool("force", query_one(request.query, "force"))
        raw = await self._read_body(request)
        if not raw.strip():
            raise errors.BadRequest("the body of the request was empty")
        existing = self.store.get(rt, target.namespace or "" if rt.namespaced else "", target.name)
        if existing is None and kind != "apply":
            raise errors.NotFound(rt.plural, target.name, rt.group)
        current = existing.copy() if existing is not None else None
        new = self._patched(request, target, kind, raw, current, force)
        if not isinstance(new, dict):
            raise errors.BadRequest("the patched object is not a JSON object")
        bodies.check_type(new, rt.kind, rt.api_version)
        meta = new.get("metadata")
        if not isinstance(meta, dict):
            raise errors.BadRequest("the patched object has no metadata")
        if kind != "apply":
            warnings = self._patch_fields(new, rt, validation, raw)
        else:
            warnings = []
            schema.normalize_times(new, _type_name(rt))
        if kind != "apply":
            new = self._managed(request, rt, existing, new)
        if existing is None:
            meta.setdefault("name", target.name)
            if meta["name"] != target.name:
                raise errors.BadRequest(
                    f"the name of the object ({meta['name']}) does not match the name on the URL "
                    f"({target.name})")
            stored = self.registry.create(rt, target.namespace, new, dry_run=dry)
            return _warn(self._render_one(request, rt, stored, 201), warnings)
        if meta.get("resourceVersion") in (None, ""):
            meta["resourceVersion"] = existing.meta["resourceVersion"]
        stored, _ = self.registry.update(rt, target.namespace, target.name, new, dry_run=dry)
        return _warn(self._render_one(request, rt, stored), warnings)

    async def delete(self, request: web.Request, target: Target) -> web.StreamResponse:
        assert target.name is not None
        options = await self._delete_options(request)
        stored, gone = self.registry.delete(target.rt, target.namespace, target.name, options)
        rt = target.rt
        if not gone or (rt.group, rt.kind) in RETURNS_DELETED_OBJECT:
            return self._render_one(request, rt, stored)
        return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                      "details": {"name": target.name, "group": rt.group, "kind": rt.plural,
                                  "uid": stored.meta.get("uid")}})

    async def _delete_options(self, request: web.Request) -> DeleteOptions:
        raw = await self._read_body(request)
        doc: Any = {}
        if raw.strip():
            doc = bodies.decode_document(raw, request.headers.get("Content-Type"))
            bodies.pop_duplicates(doc)
            if not isinstance(doc, dict):
                raise errors.BadRequest("DeleteOptions must be a JSON object")
            # upstream passes the decoder's error through (a 500); the words as a 400
            wrong = schema.type_error(doc, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")
            if wrong:
                raise errors.BadRequest(wrong)
        query = request.query
        grace = parse_int("gracePeriodSeconds", query_one(query, "gracePeriodSeconds"))
        if grace is not None:
            doc["gracePeriodSeconds"] = grace
        policy = query_one(query, "propagationPolicy")
        if policy:
            doc["propagationPolicy"] = policy
        orphan = query_one(query, "orphanDependents")
        if orphan is not None:
            doc["orphanDependents"] = parse_bool("orphanDependents", orphan)
        if query.getall("dryRun", []):
            self._write_options(request, "DeleteOptions")
            doc["dryRun"] = ["All"]
        return DeleteOptions.from_dict(doc)

    async def delete_collection(self, request: web.Request, target: Target) -> web.StreamResponse:
        rt = target.rt
        if rt.namespaced and target.namespace is None:
            raise errors.MethodNotAllowed(
                "the server does not allow this method on the requested resource")
        labels, fields = self._filters(request, rt)
        options = await self._delete_options(request)
        deleted = []
        for stored in list(self.store.items(rt, target.namespace)):
            if not labels.empty and not labels.matches(stored.labels):
                continue
            if not fields.empty and not fields.matches(stored.obj):
                continue
            try:
                last, _ = self.registry.delete(rt, target.namespace, stored.name, options)
            except errors.ApiError as err:
                if err.code == 404:
                    continue
                raise
            deleted.append(last.obj)
        return _json({"kind": rt.list_kind, "apiVersion": rt.api_version,
                      "metadata": {"resourceVersion": str(self.store.resource_version)},
                      "items": deleted})

    # -- subresources ----------------------------------------------------------

    async def _subresource(self, request: web.Request, target: Target) -> web.StreamResponse:
        sub, method = target.sub, request.method
        sr = target.rt.subresource(sub or "")
        assert sr is not None and target.name is not None
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "POST": "create"}.get(method)
        if verb not in sr.verbs:
            raise errors.MethodNotAllowed(
                "the server does not allow this method on the requested resource")
        if sub == "status":
            return await self._status(request, target)
        if sub == "scale":
            return await self._scale(request, target)
        if sub == "eviction":
            return await self._eviction(request, target)
        if sub == "binding":
            return await self._binding(request, target)
        if sub == "log":
            return await self._log(request, target)
        if sub == "finalize":
            dry, _ = self._write_options(request, "UpdateOptions")
            raw = await self._read_body(request)
            obj, _ = bodies.decode_object(raw, request.headers.get("Content-Type"), target.rt)
            if dry:
                return self._render_one(request, target.rt,
                                        self.registry.get(target.rt, "", target.name))
            stored = self.registry.finalize_namespace(target.name, obj)
            return self._render_one(request, target.rt, stored)
        raise _not_found()

    async def _status(self, request: web.Request, target: Target) -> web.StreamResponse:
        assert target.name is not None
        rt = target.rt
        if request.method == "GET":
            return self.get(request, target)
        dry, validation = self._write_options(
            request, "UpdateOptions" if request.method == "PUT" else "PatchOptions")
        raw = await self._read_body(request)
        if request.method == "PUT":
            obj, dupes = bodies.decode_object(raw, request.headers.get("Content-Type"), rt)
            warnings = self._check_fields(obj, rt, validation, dupes)
            _check_identity(obj, target)
        else:
            kind = PATCH_TYPES.get(bodies.media_type(request.headers.get("Content-Type")))
            if kind is None or kind not in ("json", "merge", "strategic"):
                raise errors.UnsupportedMediaType(
                    bodies.media_type(request.headers.get("Content-Type")), PATCH_MEDIA_TYPES[:3])
            current = self.registry.get(rt, target.namespace or "", target.name)
            obj = self._patched(request, target, kind, raw, current.copy(), False)
            if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
                raise errors.BadRequest("the patched object is not a JSON object")
            warnings = self._patch_fields(obj, rt, validation, raw)
            obj = self._managed(request, rt, current, obj, "status")
            obj["metadata"].setdefault("resourceVersion", current.meta["resourceVersion"])
        stored, _ = self.registry.update(rt, target.namespace, target.name, obj,
                                         subresource="status", dry_run=dry)
        return _warn(self._render_one(request, rt, stored), warnings)

    def _scale_of(self, rt: ResourceType, stored: Stored) -> dict[str, Any]:
        spec = stored.obj.get("spec") or {}
        status = stored.obj.get("status") or {}
        selector = selectors.label_selector_from_dict(spec.get("selector"))
        meta = stored.meta
        return {
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                              "creationTimestamp") if k in meta},
            "spec": {"replicas": int(spec.get("replicas", 0))},
            "status": {"replicas": int(status.get("replicas", 0)),
                       "selector": str(selector)},
        }

    async def _scale(self, request: web.Request, target: Target) -> web.StreamResponse:
        assert target.name is not None
        rt = target.rt
        current = self.registry.get(rt, target.namespace or "", target.name)
        scale = self._scale_of(rt, current)
        if request.method == "GET":
            out = negotiate(request.headers.get("Accept"))
            if out.form == "table":  # scale REST's ConvertToTable (printers.go printScale)
                include = query_one(request.query, "includeObject") or "Metadata"
                return _json(tables.scale_table(
                    scale, include_object=include, now=self.cluster.clock.datetime(),
                    meta_version=out.meta_version), 200,
                    f"application/json;as=Table;v={out.meta_version};g=meta.k8s.io")
            if out.form == "yaml":
                return _yaml(scale)
            return _json(scale)
        dry, _ = self._write_options(
            request, "UpdateOptions" if request.method == "PUT" else "PatchOptions")
        raw = await self._read_body(request)
        if request.method == "PUT":
            new_scale, _ = bodies.decode_object(raw, request.headers.get("Content-Type"), rt,
                                                "Scale", "autoscaling/v1")
            _check_identity(new_scale, target)
        else:
            kind = PATCH_TYPES.get(bodies.media_type(request.headers.get("Content-Type")))
            if kind not in ("json", "merge", "strategic"):
                raise errors.UnsupportedMediaType(
                    bodies.media_type(request.headers.get("Content-Type")), PATCH_MEDIA_TYPES[:3])
            doc = bodies.load_json(raw)
            if kind == "json":
                new_scale = patch.json_patch(scale, doc)
            else:
                if not isinstance(doc, dict):
                    raise errors.BadRequest("the patch must be a JSON object")
                new_scale = patch.merge_patch(scale, doc)
        replicas = (new_scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.Invalid("Scale", target.name, [errors.Cause(
                "FieldValueInvalid",
                f"Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0",
                "spec.replicas")], "autoscaling")
        expect = (new_scale.get("metadata") or {}).get("resourceVersion")
        obj = current.copy()
        obj["spec"]["replicas"] = replicas
        if expect and request.method == "PUT":
            obj["metadata"]["resourceVersion"] = expect
        stored, _ = self.registry.update(rt, target.namespace, target.name, obj, dry_run=dry)
        return _json(self._scale_of(rt, stored))

    async def _eviction(self, request: web.Request, target: Target) -> web.StreamResponse:
        assert target.name is not None
        raw = await self._read_body(request)
        eviction, _ = bodies.decode_object(raw, request.headers.get("Content-Type"), target.rt,
                                           "Eviction", "policy/v1")
        if eviction["metadata"].get("name") != target.name:  # eviction.go, exactly
            raise errors.BadRequest(
                "name in URL does not match name in Eviction object")
        evict(self.registry, target.namespace or "", target.name, eviction)
        return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                      "code": 201}, 201)

    async def _binding(self, request: web.Request, target: Target) -> web.StreamResponse:
        assert target.name is not None
        raw = await self._read_body(request)
        binding, _ = bodies.decode_object(raw, request.headers.get("Content-Type"), target.rt,
                                          "Binding", "v1")
        if binding["metadata"].get("name") != target.name:  # pod storage.go, exactly
            raise errors.BadRequest("name in URL does not match name in Binding object")
        self.cluster.bind(target.namespace or "", target.name, binding)
        return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                      "code": 201}, 201)

    async def _bindings(self, request: web.Request, version: str, namespace: str
                        ) -> web.StreamResponse:
        """``POST /api/v1/namespaces/{ns}/bindings``: the older form of ``pods/binding``
        (LegacyBindingREST), which names the pod in the body; create is its only verb."""
        pods = by_path("", version, "pods")
        if pods is None:
            raise _not_found()
        if request.method != "POST":
            raise errors.MethodNotAllowed(
                "the server does not allow this method on the requested resource")
        identity = request[IDENTITY]
        if not identity.admin:
            req = rbac.Request("create", "", "bindings", "", namespace, "")
            if not rbac.authorize(self.store, identity, req):
                raise rbac.forbidden(identity, req)
        raw = await self._read_body(request)
        binding, _ = bodies.decode_object(raw, request.headers.get("Content-Type"), pods,
                                          "Binding", "v1")
        self.cluster.bind(namespace, binding["metadata"].get("name") or "", binding)
        return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                      "code": 201}, 201)

    async def _log(self, request: web.Request, target: Target) -> web.StreamResponse:
        assert target.name is not None
        query = request.query
        tail = parse_int("tailLines", query_one(query, "tailLines"))
        since = parse_int("sinceSeconds", query_one(query, "sinceSeconds"))
        limit = parse_int("limitBytes", query_one(query, "limitBytes"))
        # LogREST.Get validates the options (ValidatePodLogOptions) before it looks for the pod
        causes = []
        if tail is not None and tail < 0:
            causes.append(errors.Cause("FieldValueInvalid", f"Invalid value: {tail}: must be "
                                       "greater than or equal to 0", "tailLines"))
        if limit is not None and limit < 1:
            causes.append(errors.Cause("FieldValueInvalid", f"Invalid value: {limit}: must be "
                                       "greater than 0", "limitBytes"))
        if since is not None and query_one(query, "sinceTime") is not None:
            causes.append(errors.Cause("FieldValueForbidden", "Forbidden: at most one of "
                                       "`sinceTime` or `sinceSeconds` may be specified", "[]"))
        elif since is not None and since < 1:
            causes.append(errors.Cause("FieldValueInvalid", f"Invalid value: {since}: must be "
                                       "greater than 0", "sinceSeconds"))
        if causes:
            raise errors.Invalid("PodLogOptions", target.name, causes)
        pods = target.rt
        pod = self.registry.get(pods, target.namespace or "", target.name)
        container = query_one(query, "container")
        timestamps = parse_bool("timestamps", query_one(query, "timestamps"))
        previous = parse_bool("previous", query_one(query, "previous"))
        text = self.cluster.pod_log(
            pod.obj, container=container, tail=tail, since_seconds=since,
            timestamps=timestamps, previous=previous)
        if text is None:  # no node: genericrest.LocationStreamer without a Location
            return web.Response(status=204)
        if parse_bool("follow", query_one(query, "follow")) and not previous:
            # pod_log checked the container; without one named, the pod has exactly one
            name = container or pod.obj["spec"]["containers"][0]["name"]
            return await self._follow_log(request, pods, pod, name, text, timestamps, limit)
        data = text.encode()
        if limit is not None:
            data = data[:limit]
        return web.Response(body=data, headers={"Content-Type": "text/plain"})

    async def _follow_log(self, request: web.Request, pods: ResourceType, pod: Stored,
                          container: str, text: str, timestamps: bool,
                          limit: int | None) -> web.StreamResponse:
        """``follow=true``: the log so far, then each new line as the container writes it,
        until the container stops running or the pod goes (the kubelet's ReadLogs checks
        the container's state every 5 s while it waits), or ``limitBytes`` is reached."""
        namespace, name, uid = pod.namespace, pod.name, pod.meta.get("uid")
        logs = self.cluster.logs
        cursor = logs.cursor(namespace, name, container)
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        budget = [limit]

        async def send(chunk: str) -> bool:
            """Write ``chunk``; False once limitBytes is used up."""
            data = chunk.encode()
            left = budget[0]
            if left is not None:
                data = data[:left]
                budget[0] = left - len(data)
            if data:
                await response.write(data)
            return budget[0] is None or budget[0] > 0

        watcher = self.store.hub.subscribe(pods, namespace, lambda s: s.name == name)
        try:
            more = await send(text)
            while more:
                watcher.take()
                current = self.store.get(pods, namespace, name)
                if current is None or current.meta.get("uid") != uid:
                    break
                chunk, cursor = logs.read_from(namespace, name, container, cursor,
                                               timestamps=timestamps)
                if chunk and not await send(chunk):
                    break
                if not _container_running(current.obj, container):
                    break
                transport = request.transport
                if transport is None or transport.is_closing():
                    break
                waits = [asyncio.ensure_future(logs.changed(namespace, name, container).wait()),
                         asyncio.ensure_future(watcher.wake.wait())]
                try:
                    await asyncio.wait(waits, timeout=_LOG_STATE_CHECK,
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiting in waits:
                        waiting.cancel()
        except ConnectionResetError:
            return response
        finally:
            watcher.close()
        await response.write_eof()
        return response


# -- helpers -------------------------------------------------------------------

_LOG_STATE_CHECK = 5.0  # wall seconds: kubelet logs.go stateCheckPeriod


def _container_running(pod: dict[str, Any], container: str) -> bool:
    status = pod.get("status") or {}
    for cs in (status.get("containerStatuses") or []) + (
            status.get("initContainerStatuses") or []):
        if cs.get("name") == container:
            return bool((cs.get("state") or {}).get("running"))
    return False


def _json(obj: Any, status: int = 200, content_type: str = "application/json") -> web.Response:
    return web.Response(status=status, body=json.dumps(obj, separators=(",", ":")).encode(),
                        headers={"Content-Type": content_type})


def _yaml(obj: Any, status: int = 200) -> web.Response:
    import yaml

    return web.Response(status=status, body=yaml.safe_dump(obj, sort_keys=False).encode(),
                        headers={"Content-Type": "application/yaml"})


def _warn(response: web.StreamResponse, warnings: list[str]) -> web.StreamResponse:
    """Warning headers as apimachinery's NewWarningHeader makes them: quotes and
    backslashes escaped; a text with a control character makes no header (the recorder
    drops what NewWarningHeader refuses)."""
    for warning in warnings:
        if any(unicodedata.category(char) == "Cc" for char in warning):
            continue
        text = warning.replace("\\", "\\\\").replace('"', '\\"')
        response.headers.add("Warning", f'299 - "{text}"')
    return response


def _check_identity(obj: dict[str, Any], target: Target) -> None:
    """A PUT body must name the object on the URL, in its namespace (update.go:
    EnsureObjectNamespaceMatchesRequestNamespace, then checkName; a missing name is a
    mismatch too)."""
    meta = obj["metadata"]
    if target.rt.namespaced and meta.get("namespace") not in (None, "", target.namespace):
        raise errors.BadRequest("the namespace of the provided object does not match the "
                                "namespace sent on the request")
    name = meta.get("name") or ""
    if name != target.name:
        raise errors.BadRequest(f"the name of the object ({name}) does not match the name on "
                                f"the URL ({target.name})")


def _invalid_patch(raw: bytes, why: str) -> errors.ApiError:
    """patch.go: a patched object that does not decode is ``patch: Invalid value``."""
    text = raw.decode(errors="replace")
    return errors.ApiError(422, "Invalid", f'"" is invalid: patch: Invalid value: "{text}": '
                           f"{why}", causes=[errors.Cause("FieldValueInvalid",
                                                          f"Invalid value: {why}", "patch")])


def _partial(stored: Stored, out: Output) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{out.meta_version}",
            "metadata": stored.meta}


def _bookmark(rt: ResourceType, rv: int, initial_end: bool = False) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return json.dumps({"type": "BOOKMARK", "object": {
        "kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta}},
        separators=(",", ":")).encode() + b"\n"


def _type_name(rt: ResourceType) -> str:
    return schema.type_for_kind(rt.group, rt.version, rt.kind) or ""


def _sort_key(stored: Stored) -> str:
    return f"{stored.namespace}/{stored.name}"


def _encode_continue(rv: int, after: str) -> str:
    token = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": after + "\x00"})
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


#: the resourceVersion of a continue token that goes on at the newest version
_LATEST = -1
_INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You "
    "can start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list.")


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        doc = json.loads(base64.urlsafe_b64decode(padded.encode()))
        rv, start = int(doc["rv"]), str(doc["start"])
    except (ValueError, KeyError, TypeError):
        raise errors.BadRequest(f"continue key is not valid: {token}") from None
    if (rv <= 0 and rv != _LATEST) or not start.endswith("\x00"):
        raise errors.BadRequest(f"continue key is not valid: {token}")
    return rv, start[:-1]


def _parse_rv(rv: str) -> int:
    try:
        value = int(rv)
    except ValueError:
        raise errors.BadRequest(f'invalid resource version "{rv}"') from None
    if value < 0:
        raise errors.BadRequest(f'invalid resource version "{rv}"')
    return value


def _validate_list_options(rv: str, match: str, cont: str, initial: str | None) -> None:
    """internalversion/validation ValidateListOptions for a list (not a watch)."""
    causes = []
    if match:
        if not rv:
            causes.append(errors.Cause("FieldValueForbidden",
                                       "Forbidden: resourceVersionMatch is forbidden unless "
                                       "resourceVersion is provided", "resourceVersionMatch"))
        if cont:
            causes.append(errors.Cause("FieldValueForbidden",
                                       "Forbidden: resourceVersionMatch is forbidden when "
                                       "continue is provided", "resourceVersionMatch"))
        if match not in ("Exact", "NotOlderThan"):
            causes.append(errors.Cause("FieldValueNotSupported",
                                       f'Unsupported value: "{match}": supported values: '
                                       f'"Exact", "NotOlderThan", ""', "resourceVersionMatch"))
        if match == "Exact" and rv == "0":
            causes.append(errors.Cause("FieldValueForbidden",
                                       'Forbidden: resourceVersionMatch "exact" is forbidden for '
                                       'resourceVersion "0"', "resourceVersionMatch"))
    if initial is not None:
        causes.append(errors.Cause("FieldValueForbidden",
                                   "Forbidden: sendInitialEvents is forbidden for list",
                                   "sendInitialEvents"))
    if causes:
        raise errors.Invalid("ListOptions", "", causes, "meta.k8s.io")
    if cont and rv and rv != "0":
        raise errors.BadRequest("specifying resource version is not allowed when using continue")
