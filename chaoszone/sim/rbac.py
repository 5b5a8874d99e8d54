"""Who a request comes from, and whether RBAC lets it do what it asks.

Identities come from bearer tokens: the simulator's own token is a cluster admin
(``system:masters``); a token issued for a ServiceAccount is that account
(``system:serviceaccount:<ns>:<name>`` in the groups ``system:serviceaccounts``,
``system:serviceaccounts:<ns>`` and ``system:authenticated``), as the apiserver's
service-account authenticator names it. Authorization is RBAC over the stored Roles,
ClusterRoles and their bindings, as plugin/pkg/auth/authorizer/rbac/rbac.go decides:
any rule of any role bound to the user, a group of the user, or the ServiceAccount
allows the request; nothing denies. Discovery and version paths are open to every
authenticated user, as the bootstrap policy's ``system:discovery``,
``system:basic-user`` and ``system:public-info-viewer`` roles make them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.resources import by_path
from chaoszone.sim.store import Store

__all__ = ["ADMIN", "Identity", "Request", "Tokens", "authorize", "forbidden"]

_ROLES = by_path("rbac.authorization.k8s.io", "v1", "roles")
_CLUSTER_ROLES = by_path("rbac.authorization.k8s.io", "v1", "clusterroles")
_ROLE_BINDINGS = by_path("rbac.authorization.k8s.io", "v1", "rolebindings")
_CLUSTER_ROLE_BINDINGS = by_path("rbac.authorization.k8s.io", "v1", "clusterrolebindings")
_SERVICE_ACCOUNTS = by_path("", "v1", "serviceaccounts")


@dataclass(frozen=True)
class Identity:
    user: str
    groups: tuple[str, ...] = ()
    #: (namespace, name) for a ServiceAccount
    service_account: tuple[str, str] | None = None

    @property
    def admin(self) -> bool:
        return "system:masters" in self.groups


ADMIN = Identity("chaoszone-admin", ("system:masters", "system:authenticated"))


@dataclass(frozen=True)
class Request:
    """An API request's attributes, as the authorizer sees them."""

    verb: str
    api_group: str
    resource: str
    subresource: str = ""
    namespace: str = ""
    name: str = ""


@dataclass
class Tokens:
    """Bearer tokens the simulator has issued, and whom they stand for."""

    admin_token: str
    _issued: dict[str, Identity] = field(default_factory=dict)

    def identify(self, token: str) -> Identity | None:
        if secrets.compare_digest(token, self.admin_token):
            return ADMIN
        return self._issued.get(token)

    def issue(self, store: Store, namespace: str, service_account: str) -> str:
        """A token for a ServiceAccount that exists (404 otherwise)."""
        assert _SERVICE_ACCOUNTS is not None
        if store.get(_SERVICE_ACCOUNTS, namespace, service_account) is None:
            raise errors.NotFound("serviceaccounts", service_account)
        token = secrets.token_urlsafe(32)
        self._issued[token] = Identity(
            f"system:serviceaccount:{namespace}:{service_account}",
            ("system:serviceaccounts", f"system:serviceaccounts:{namespace}",
             "system:authenticated"),
            (namespace, service_account))
        return token

    def revoke_all(self) -> None:
        self._issued.clear()


def _subject_matches(subject: dict[str, Any], who: Identity, binding_ns: str) -> bool:
    kind = subject.get("kind")
    if kind == "User":
        return bool(subject.get("name") == who.user)
    if kind == "Group":
        return subject.get("name") in who.groups
    if kind == "ServiceAccount" and who.service_account is not None:
        ns = subject.get("namespace") or binding_ns
        return (ns, subject.get("name")) == who.service_account
    return False


def _rule_allows(rule: dict[str, Any], req: Request) -> bool:
    verbs = rule.get("verbs") or []
    if "*" not in verbs and req.verb not in verbs:
        return False
    groups = rule.get("apiGroups") or []
    if "*" not in groups and req.api_group not in groups:
        return False
    wanted = f"{req.resource}/{req.subresource}" if req.subresource else req.resource
    resources = rule.get("resources") or []
    if not any(r in ("*", wanted) or (req.subresource and r == f"*/{req.subresource}")
               for r in resources):
        return False
    names = rule.get("resourceNames") or []
    return not names or req.name in names


def _role_rules(store: Store, ref: dict[str, Any], namespace: str) -> Iterable[dict[str, Any]]:
    assert _ROLES is not None and _CLUSTER_ROLES is not None
    if ref.get("kind") == "ClusterRole":
        role = store.get(_CLUSTER_ROLES, "", ref.get("name", ""))
    elif ref.get("kind") == "Role":
        role = store.get(_ROLES, namespace, ref.get("name", ""))
    else:
        return ()
    return (role.obj.get("rules") or []) if role is not None else ()


def authorize(store: Store, who: Identity, req: Request) -> bool:
    """Whether RBAC allows ``req`` for ``who``."""
    if who.admin:
        return True
    assert _CLUSTER_ROLE_BINDINGS is not None and _ROLE_BINDINGS is not None
    for binding in store.items(_CLUSTER_ROLE_BINDINGS):
        if any(_subject_matches(s, who, "") for s in binding.obj.get("subjects") or []) and any(
                _rule_allows(r, req) for r in _role_rules(store, binding.obj.get("roleRef") or {},
                                                          "")):
            return True
    if req.namespace:
        for binding in store.items(_ROLE_BINDINGS, req.namespace):
            if any(_subject_matches(s, who, req.namespace)
                   for s in binding.obj.get("subjects") or []) and any(
                    _rule_allows(r, req)
                    for r in _role_rules(store, binding.obj.get("roleRef") or {}, req.namespace)):
                return True
    return False


def forbidden(who: Identity, req: Request) -> errors.ApiError:
    """The 403 the apiserver sends (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/
    responsewriters/errors.go ``ForbiddenStatusError``)."""
    resource = f"{req.resource}/{req.subresource}" if req.subresource else req.resource
    qualified = f"{req.resource}.{req.api_group}" if req.api_group else req.resource
    where = f'in the namespace "{req.namespace}"' if req.namespace else "at the cluster scope"
    subject = f'"{req.name}" ' if req.name else ""
    message = (f'{qualified} {subject}is forbidden: User "{who.user}" cannot {req.verb} '
               f'resource "{resource}" in API group "{req.api_group}" {where}')
    return errors.Forbidden(message, req.resource, req.name, req.api_group)
