"""The state the stand-in ``kind`` and ``docker`` share: clusters, node containers, images.

It lives in one JSON file under the directory named by ``CHAOSZONE_STANDIN_STATE``, read
and written under an exclusive ``flock``, so several stand-in processes (a zone outage
stops two nodes at once) see one consistent store, as they would one Docker daemon.

What is kept, per the real tools it stands in for:

- clusters: name, the simulator serving it (pid, its start time in /proc, its private
  kubeconfig, its log), the kind config it was made from;
- containers (kind's node containers): name, 64-hex id, labels ``io.x-k8s.kind.cluster``
  and ``io.x-k8s.kind.role`` (kind ``pkg/cluster/internal/providers/docker/constants.go``),
  image, IP on the ``kind`` network, status (running / exited / paused), iptables rules
  and the images ``kind load docker-image`` put on the node;
- images: the host's image store, by normalized reference.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "CLUSTER_LABEL",
    "DOCKER_DOWN_ENV",
    "DOCKER_DOWN_MESSAGE",
    "ROLE_LABEL",
    "STATE_ENV",
    "TIME_SCALE_ENV",
    "Container",
    "StandinError",
    "State",
    "docker_is_down",
    "familiar_image",
    "image_id",
    "normalize_image",
    "now_rfc3339",
    "state_dir",
]

STATE_ENV = "CHAOSZONE_STANDIN_STATE"
DOCKER_DOWN_ENV = "CHAOSZONE_STANDIN_DOCKER_DOWN"
#: how many times faster than the wall clock the simulators ``kind create cluster`` starts run
TIME_SCALE_ENV = "CHAOSZONE_STANDIN_TIME_SCALE"
#: moby/moby client/errors.go ``connectionFailed`` with the default host
DOCKER_DOWN_MESSAGE = ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                       "Is the docker daemon running?")
#: kind pkg/cluster/internal/providers/docker/constants.go
CLUSTER_LABEL = "io.x-k8s.kind.cluster"
ROLE_LABEL = "io.x-k8s.kind.role"


class StandinError(Exception):
    """A command failed: ``message`` goes to stderr as the real tool words it, ``code`` is
    the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def state_dir() -> Path:
    """The directory of ``CHAOSZONE_STANDIN_STATE``; a clear error if it is unset."""
    value = os.environ.get(STATE_ENV, "")
    if not value:
        raise StandinError(
            f"chaoszone stand-in: {STATE_ENV} is not set. The stand-in kind and docker keep "
            f"their clusters, containers and images in that directory; set it to a directory "
            f"of the test's own (tests/standins/standin_fixtures.py's standin_env does)")
    path = Path(value)
    path.mkdir(parents=True, exist_ok=True)
    return path


def docker_is_down() -> bool:
    return os.environ.get(DOCKER_DOWN_ENV, "") not in ("", "0")


def now_rfc3339() -> str:
    """Docker's timestamps: RFC 3339 with nanoseconds, UTC."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"


# -- images ---------------------------------------------------------------------------------------


def normalize_image(ref: str) -> str:
    """A reference as the daemon stores it (distribution/reference ``ParseNormalizedNamed`` +
    ``TagNameOnly``): ``nginx`` is ``docker.io/library/nginx:latest``."""
    name, _, digest = ref.partition("@")
    first, _, rest = name.partition("/")
    if not rest:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    if digest:
        return f"{name}@{digest}"
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


def familiar_image(ref: str) -> str:
    """``reference.FamiliarString`` of a normalized reference: ``nginx:latest``."""
    name = normalize_image(ref)
    if name.startswith("docker.io/library/"):
        return name[len("docker.io/library/"):]
    if name.startswith("docker.io/"):
        return name[len("docker.io/"):]
    return name


def image_id(ref: str) -> str:
    """A stable fake content address for an image reference."""
    return "sha256:" + hashlib.sha256(normalize_image(ref).encode()).hexdigest()


# -- containers -----------------------------------------------------------------------------------


@dataclass
class Container:
    """One kind node container, as ``docker inspect`` would describe it."""

    name: str
    id: str
    cluster: str
    role: str
    image: str
    ip: str
    created: str
    status: str = "running"
    exit_code: int = 0
    started_at: str = ""
    finished_at: str = "0001-01-01T00:00:00Z"
    #: iptables rules inserted with docker exec: [chain, source, destination, target], the
    #: addresses as networks (0.0.0.0/0 when not given)
    iptables: list[list[str]] | None = None
    #: images loaded onto the node (normalized references)
    images: list[str] | None = None

    @classmethod
    def new(cls, name: str, cluster: str, role: str, image: str, ip: str) -> Container:
        now = now_rfc3339()
        return cls(name=name, id=secrets.token_hex(32), cluster=cluster, role=role,
                   image=image, ip=ip, created=now, started_at=now, iptables=[], images=[])

    @property
    def labels(self) -> dict[str, str]:
        return {CLUSTER_LABEL: self.cluster, ROLE_LABEL: self.role}

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# -- the store ------------------------------------------------------------------------------------


class State:
    """The shared store. Use ``with State.open() as state:`` for every read-modify-write."""

    def __init__(self, root: Path, doc: dict[str, Any]) -> None:
        self.root = root
        self._doc = doc
        self.containers: dict[str, Container] = {
            name: Container(**fields) for name, fields in doc.get("containers", {}).items()}

    @classmethod
    @contextlib.contextmanager
    def open(cls) -> Iterator[State]:
        """The store, locked against every other stand-in process until the block ends;
        written back only if the block finishes without an exception."""
        root = state_dir()
        with open(root / "lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            path = root / "state.json"
            doc = json.loads(path.read_text()) if path.exists() else {}
            state = cls(root, doc)
            yield state
            state._save(path)

    def _save(self, path: Path) -> None:
        self._doc["containers"] = {n: c.to_json() for n, c in self.containers.items()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._doc, indent=1))  # insertion order is creation order
        tmp.replace(path)

    # -- clusters --

    @property
    def clusters(self) -> dict[str, dict[str, Any]]:
        clusters: dict[str, dict[str, Any]] = self._doc.setdefault("clusters", {})
        return clusters

    def cluster_dir(self, name: str) -> Path:
        path = self.root / "clusters" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def nodes_of(self, cluster: str) -> list[Container]:
        """The cluster's containers newest first, the order ``docker ps`` lists them in."""
        return [c for c in reversed(self.containers.values()) if c.cluster == cluster]

    # -- images --

    @property
    def images(self) -> dict[str, dict[str, Any]]:
        images: dict[str, dict[str, Any]] = self._doc.setdefault("images", {})
        return images

    def add_image(self, ref: str) -> bool:
        """Put ``ref`` into the host's image store; whether it was new."""
        key = normalize_image(ref)
        if key in self.images:
            return False
        self.images[key] = {"id": image_id(key), "created": now_rfc3339()}
        return True

    def find_image(self, ref: str) -> dict[str, Any] | None:
        """The stored image ``ref`` names, by reference or by (possibly short) ID."""
        found = self.images.get(normalize_image(ref))
        if found is not None:
            return found
        bare = ref.removeprefix("sha256:")
        if len(bare) >= 4 and all(ch in "0123456789abcdef" for ch in bare):
            for image in self.images.values():
                if image["id"].removeprefix("sha256:").startswith(bare):
                    return image
        return None

    def refs_of(self, image: dict[str, Any]) -> list[str]:
        return [ref for ref, stored in self.images.items() if stored["id"] == image["id"]]
