"""Official-client ApiClients for the simulator's API server: its URL, its CA and a bearer
token (the administrator's, or a ServiceAccount's for a pod's program)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["bearer_client"]


def bearer_client(url: str, ca_path: str, token: str) -> ApiClient:
    """A new ApiClient for ``url`` that trusts ``ca_path`` and sends ``token`` (the caller
    closes it)."""
    from kubernetes import client

    config = client.Configuration()
    config.host = url
    config.ssl_ca_cert = ca_path
    config.api_key = {"authorization": token}
    config.api_key_prefix = {"authorization": "Bearer"}
    return client.ApiClient(config)
