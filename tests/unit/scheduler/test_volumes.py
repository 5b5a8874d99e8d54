"""VolumeZone and VolumeBinding (fidelity vz-*, vb-*): volumes pinned to zones by labels
and by ``nodeAffinity``, claims waiting for their first consumer, Immediate claims."""

from __future__ import annotations

from typing import Any

from schedkit import ZONE, World, node, pod

WFFC = "WaitForFirstConsumer"


def pv(name: str, *, labels: dict[str, str] | None = None, zone_affinity: str | None = None,
       klass: str = "", capacity: str = "10Gi", phase: str = "Bound") -> dict[str, Any]:
    spec: dict[str, Any] = {"capacity": {"storage": capacity}}
    if klass:
        spec["storageClassName"] = klass
    if zone_affinity:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": ZONE, "operator": "In", "values": [zone_affinity]}]}]}}
    return {"kind": "PersistentVolume", "metadata": {"name": name, "labels": labels or {}},
            "spec": spec, "status": {"phase": phase}}


def pvc(name: str, *, volume: str = "", klass: str | None = None, request: str = "1Gi",
        annotations: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"resources": {"requests": {"storage": request}}}
    if volume:
        spec["volumeName"] = volume
    if klass is not None:
        spec["storageClassName"] = klass
    meta: dict[str, Any] = {"name": name, "namespace": "default", "uid": f"uid-{name}",
                            "annotations": dict(annotations or {})}
    if volume:
        meta["annotations"]["pv.kubernetes.io/bind-completed"] = "yes"
    return {"kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec,
            "status": {"phase": "Bound" if volume else "Pending"}}


def storage_class(name: str, mode: str | None, provisioner: str = "",
                  allowed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    sc: dict[str, Any] = {"kind": "StorageClass", "metadata": {"name": name},
                          "provisioner": provisioner}
    if mode is not None:
        sc["volumeBindingMode"] = mode
    if allowed is not None:
        sc["allowedTopologies"] = allowed
    return sc


def using(*claims: str) -> dict[str, Any]:
    return pod("p", volumes=[{"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}}
                             for i, c in enumerate(claims)])


ZONES = [node("a1", zone="a"), node("b1", zone="b"), node("bare")]


def test_a_zone_labelled_volume_keeps_its_pod_in_that_zone_but_not_off_unlabelled_nodes() -> None:
    world = World(ZONES, objects=[pv("vol", labels={ZONE: "a"}), pvc("data", volume="vol")])
    assert world.codes("VolumeZone", using("data")) == {
        "a1": "Success", "b1": "UnschedulableAndUnresolvable", "bare": "Success"}
    status = world.verdicts("VolumeZone", using("data"))["b1"]
    assert status is not None and status.message() == "node(s) had no available volume zone"


def test_multi_zone_labels_and_the_beta_to_ga_translation() -> None:
    objects = [pv("multi", labels={ZONE: "c__a"}), pvc("m", volume="multi"),
               pv("beta", labels={"failure-domain.beta.kubernetes.io/zone": "b"}),
               pvc("old", volume="beta"),
               pv("bad", labels={ZONE: "a____b"}), pvc("x", volume="bad")]
    world = World(ZONES, objects=objects)
    assert world.codes("VolumeZone", using("m"))["a1"] == "Success"
    assert world.codes("VolumeZone", using("old")) == {
        "a1": "UnschedulableAndUnresolvable", "b1": "Success", "bare": "Success"}
    # a value with an empty element is ignored entirely: nothing to check
    assert world.codes("VolumeZone", using("x")) == dict.fromkeys(["a1", "b1", "bare"], "Success")


def test_volume_node_affinity_conflicts_are_reported_by_volume_binding() -> None:
    world = World(ZONES, objects=[pv("vol", zone_affinity="a"), pvc("data", volume="vol")])
    codes = world.codes("VolumeBinding", using("data"))
    assert codes == {"a1": "Success", "b1": "UnschedulableAndUnresolvable",
                     "bare": "UnschedulableAndUnresolvable"}
    status = world.verdicts("VolumeBinding", using("data"))["b1"]
    assert status is not None and status.message() == "node(s) had volume node affinity conflict"


def test_unbound_immediate_claims_reject_the_pod_in_prefilter() -> None:
    world = World(ZONES, objects=[storage_class("fast", "Immediate", "csi.example"),
                                  pvc("data", klass="fast")])
    result = world.schedule(using("data"))
    assert result.message() == ("0/3 nodes are available: pod has unbound immediate "
                                "PersistentVolumeClaims.")


def test_a_missing_claim_is_named_in_the_prefilter_message() -> None:
    world = World(ZONES)
    status = world.verdicts("VolumeBinding", using("gone"))["a1"]
    assert status is not None and status.message() == 'persistentvolumeclaim "gone" not found'


def test_wait_for_first_consumer_uses_available_volumes_or_allowed_topologies() -> None:
    objects = [storage_class("local", WFFC), pv("va", zone_affinity="a", klass="local",
                                                phase="Available"),
               pvc("static", klass="local"),
               storage_class("csi-a", WFFC, "csi.example",
                             allowed=[{"matchLabelExpressions": [{"key": ZONE, "values": ["a"]}]}]),
               pvc("dynamic", klass="csi-a")]
    world = World(ZONES, objects=objects)
    expected = {"a1": "Success", "b1": "UnschedulableAndUnresolvable",
                "bare": "UnschedulableAndUnresolvable"}
    assert world.codes("VolumeBinding", using("static")) == expected
    assert world.codes("VolumeBinding", using("dynamic")) == expected
    status = world.verdicts("VolumeBinding", using("dynamic"))["b1"]
    assert status is not None
    assert status.message() == "node(s) didn't find available persistent volumes to bind"


def test_a_claim_with_a_selected_node_fits_only_that_node() -> None:
    objects = [storage_class("csi", WFFC, "csi.example"),
               pvc("data", klass="csi",
                   annotations={"volume.kubernetes.io/selected-node": "b1"})]
    world = World(ZONES, objects=objects)
    assert world.feasible(using("data")) == ["b1"]


def test_both_binding_reasons_can_come_together() -> None:
    objects = [storage_class("local", WFFC), pv("va", zone_affinity="a", klass="local"),
               pvc("bound", volume="va", klass="local"), pvc("unbound", klass="local")]
    world = World([node("b1", zone="b")], objects=objects)
    status = world.verdicts("VolumeBinding", using("bound", "unbound"))["b1"]
    assert status is not None
    assert status.reasons == ["node(s) had volume node affinity conflict",
                              "node(s) didn't find available persistent volumes to bind"]
