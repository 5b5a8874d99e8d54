"""The aiohttp application: authentication, routing and the REST verbs.

Handlers parse a request, call the registry, and render the answer (JSON, Table,
PartialObjectMetadata or YAML); they hold no business rules. Every failure leaves as a
``Status`` body with upstream's code and reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from chaoszone.sim import errors
from chaoszone.sim.api import body as bodies
from chaoszone.sim.api import discovery, openapi, resources_handler
from chaoszone.sim.cluster import Cluster

__all__ = ["make_app"]

log = logging.getLogger("chaoszone.sim")

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-chaoszone",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.4",
    "compiler": "gc",
    "platform": "linux/amd64",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def status_response(err: errors.ApiError) -> web.Response:
    headers = {}
    if err.retry_after is not None:
        headers["Retry-After"] = str(err.retry_after)
    return web.Response(status=err.code, body=json.dumps(err.status()).encode(),
                        content_type="application/json", headers=headers)


def json_response(obj: Any, status: int = 200, content_type: str = "application/json"
                  ) -> web.Response:
    return web.Response(status=status, body=json.dumps(obj, separators=(",", ":")).encode(),
                        headers={"Content-Type": content_type})


@dataclass
class Settings:
    token: str
    server_address: str = ""


def make_app(cluster: Cluster, token: str) -> web.Application:
    """The API server application for ``cluster``, requiring ``token`` on every request."""
    if not secrets.compare_digest(token, cluster.tokens.admin_token):
        raise ValueError("the app's token must be the cluster's admin token")

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        identity = cluster.tokens.identify(given.strip()) if scheme == "Bearer" else None
        if identity is None:
            return status_response(errors.Unauthorized())
        request[resources_handler.IDENTITY] = identity
        if not identity.admin and request.path.startswith("/sim/"):
            return status_response(errors.Forbidden(
                f'User "{identity.user}" cannot use the simulator\'s control API'))
        try:
            return await handler(request)
        except errors.ApiError as err:
            return status_response(err)
        except web.HTTPRequestEntityTooLarge:
            return status_response(errors.RequestEntityTooLarge(
                f"Request entity too large: limit is {bodies.MAX_BODY}"))
        except web.HTTPException as exc:
            if exc.status == 404:
                return status_response(errors.ApiError(
                    404, "NotFound", "the server could not find the requested resource"))
            if exc.status == 405:
                return status_response(errors.MethodNotAllowed(
                    "the server does not allow this method on the requested resource"))
            raise
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception as exc:  # a bug of ours; never a crash of the server
            log.exception("internal error on %s %s", request.method, request.path_qs)
            return status_response(errors.ApiError(500, "InternalError",
                                                   f"Internal error occurred: {exc}"))

    app = web.Application(middlewares=[guard], client_max_size=bodies.MAX_BODY)
    rest = resources_handler.Resources(cluster)

    async def version(request: web.Request) -> web.StreamResponse:
        return json_response(VERSION)

    async def health(request: web.Request) -> web.StreamResponse:
        if cluster.unavailable():
            return web.Response(status=503,
                                text="[-]etcd failed: reason withheld\nhealthz check failed\n")
        return web.Response(text="ok", content_type="text/plain")

    async def api_root(request: web.Request) -> web.StreamResponse:
        agg = discovery.aggregated_version(request.headers.get("Accept"))
        if agg:
            return json_response(discovery.aggregated(True, agg),
                                 content_type=discovery.content_type(agg))
        host = request.host or "127.0.0.1"
        return json_response(discovery.api_versions(host))

    async def apis_root(request: web.Request) -> web.StreamResponse:
        agg = discovery.aggregated_version(request.headers.get("Accept"))
        if agg:
            return json_response(discovery.aggregated(False, agg),
                                 content_type=discovery.content_type(agg))
        return json_response(discovery.api_group_list())

    async def openapi_root(request: web.Request) -> web.StreamResponse:
        return json_response(openapi.root_document())

    async def openapi_gv(request: web.Request) -> web.StreamResponse:
        parts = request.match_info["tail"].strip("/").split("/")
        doc: bytes | None = None
        if parts[0] == "api" and len(parts) == 2:
            doc = openapi.group_version_bytes("", parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            doc = openapi.group_version_bytes(parts[1], parts[2])
        if doc is None:
            raise errors.ApiError(404, "NotFound",
                                  "the server could not find the requested resource")
        return web.Response(body=doc, headers={"Content-Type": "application/json",
                                               "Cache-Control": "public, immutable"})

    async def openapi_v2(request: web.Request) -> web.StreamResponse:
        raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")

    async def core(request: web.Request) -> web.StreamResponse:
        return await rest.dispatch(request, "", request.match_info["tail"])

    async def named(request: web.Request) -> web.StreamResponse:
        return await rest.dispatch(request, None, request.match_info["tail"])

    async def control(request: web.Request) -> web.StreamResponse:
        return json_response(cluster.control(request.method, request.match_info["tail"],
                                             await request.read()))

    app.router.add_get("/version", version)
    app.router.add_get("/version/", version)
    for path in ("/healthz", "/livez", "/readyz"):
        app.router.add_get(path, health)
    app.router.add_get("/api", api_root)
    app.router.add_get("/api/", api_root)
    app.router.add_get("/apis", apis_root)
    app.router.add_get("/apis/", apis_root)
    app.router.add_get("/openapi/v3", openapi_root)
    app.router.add_get("/openapi/v3/", openapi_root)
    app.router.add_get("/openapi/v3/{tail:.+}", openapi_gv)
    app.router.add_get("/openapi/v2", openapi_v2)
    app.router.add_route("*", "/api/{tail:.+}", core)
    app.router.add_route("*", "/apis/{tail:.+}", named)
    app.router.add_route("*", "/sim/v1/{tail:.*}", control)
    return app


def yaml_response(obj: Any) -> web.Response:
    return web.Response(body=yaml.safe_dump(obj, sort_keys=False).encode(),
                        headers={"Content-Type": "application/yaml"})
