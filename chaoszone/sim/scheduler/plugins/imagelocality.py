"""ImageLocality: prefers nodes that already hold the pod's container images, scaled
by how many nodes have each image (``status.images``); nodes reporting no images all
score 0.

Upstream: pkg/scheduler/framework/plugins/imagelocality/image_locality.go (release-1.32).
"""

from __future__ import annotations

from collections.abc import Sequence

from chaoszone.sim.scheduler.framework import (
    MAX_NODE_SCORE,
    Code,
    CycleState,
    ScorePlugin,
    Status,
)
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo

__all__ = ["ImageLocality"]

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


def normalized_image_name(name: str) -> str:
    """``normalizedImageName``: an image without a tag or digest means ``:latest``."""
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in name:
        return name + ":latest"
    return name


class ImageLocality(ScorePlugin):
    name = "ImageLocality"
    weight = 1

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        if not self.cache.with_images:
            return Status(Code.Skip)
        all_nodes = self.cache.node_infos()
        images = [normalized_image_name(str(c.get("image") or ""))
                  for c in list(pod.spec.get("initContainers") or ())
                  + list(pod.spec.get("containers") or ())]
        spread = {image: sum(1 for n in all_nodes if image in n.images) for image in images}
        state.data[self.name] = (images, spread, len(all_nodes))
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        images, spread, total = state.data[self.name]
        containers = len(images)
        score = 0
        for image in images:
            size = node.images.get(image)
            if size is not None and total:
                score += int(size * (spread[image] / total))
        max_threshold = MAX_CONTAINER_THRESHOLD * max(containers, 1)
        score = min(max(score, MIN_THRESHOLD), max_threshold)
        return MAX_NODE_SCORE * (score - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)
