"""Label, field and node selectors against kube-apiserver 1.32's behaviour.

Cases re-express those of upstream's own tests (k8s.io/apimachinery pkg/labels and
pkg/fields selector_test.go, component-helpers nodeaffinity_test.go) and the messages
upstream's code produces; property tests check the algebra the parsers must keep.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaoszone.sim.errors import ApiError
from chaoszone.sim.resources import RESOURCES, ResourceType, by_path
from chaoszone.sim.selectors import (
    FieldRequirement,
    FieldSelector,
    LabelSelector,
    NodeSelector,
    NodeSelectorTerm,
    Requirement,
    escape_field_value,
    field_value,
    label_selector_from_dict,
    node_selector_requirement_matches,
    unescape_field_value,
)


def resource(group: str, plural: str) -> ResourceType:
    found = by_path(group, "v1", plural)
    assert found is not None
    return found


PODS = resource("", "pods")
NODES = resource("", "nodes")
NAMESPACES = resource("", "namespaces")
EVENTS = resource("", "events")
NEW_EVENTS = resource("events.k8s.io", "events")
SECRETS = resource("", "secrets")
SERVICES = resource("", "services")
REPLICASETS = resource("apps", "replicasets")
DEPLOYMENTS = resource("apps", "deployments")
JOBS = resource("batch", "jobs")
PVS = resource("", "persistentvolumes")

VALUE_PATTERN = ("must consist of alphanumeric characters, '-', '_' or '.', and must start "
                 "and end with an alphanumeric character")
NAME_REGEX_ERROR = (
    f"name part {VALUE_PATTERN} (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
LABEL_VALUE_ERROR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def bad_request(call: Any, *args: Any) -> str:
    with pytest.raises(ApiError) as caught:
        call(*args)
    assert caught.value.code == 400
    assert caught.value.reason == "BadRequest"
    return caught.value.message


# ---------------------------------------------------------------------------------
# Label selectors: the string form
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "rendered"), [
    ("", ""),
    ("x=a,y=b,z=c", "x=a,y=b,z=c"),
    ("x!=a,y=b", "x!=a,y=b"),
    ("x=", "x="),
    ("x= ", "x="),
    ("x=,z= ", "x=,z="),
    ("x= ,z= ", "x=,z="),
    ("!x", "!x"),
    ("x>1", "x>1"),
    ("x>1,z<5", "x>1,z<5"),
    ("k==v", "k==v"),
    ("\rx", "x"),
    ("foo  in\t (abc)", "foo in (abc)"),
    ("x notin\n (abc)", "x notin (abc)"),
    ("x in (abc,)", "x in (,abc)"),
    ("x in ()", "x in ()"),
    ("x notin ( )", "x notin ()"),
    ("x notin (, a)", "x notin (,a)"),
    ("x in (b,a,b)", "x in (a,b)"),
    ("x in (a,,b)", "x in (,a,b)"),
    ("x in (,,a)", "x in (,a)"),
    ("x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"),
    ("a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"),
    ("a ", "a"),
    ("this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"),
    ("0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
     "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)"),
    ("topology.kubernetes.io/zone in (zone-a,zone-b)",
     "topology.kubernetes.io/zone in (zone-a,zone-b)"),
    ("notin=in", "notin=in"),
    ("in", "in"),
])
def test_parse_renders_canonical_string_when_selector_is_valid(text: str, rendered: str) -> None:
    assert str(LabelSelector.parse(text)) == rendered


def test_parse_orders_requirements_by_key_when_given_in_any_order() -> None:
    assert LabelSelector.parse("x=a,a=x") == LabelSelector.parse("a=x,x=a")
    assert str(LabelSelector.parse("x=a,a=x")) == "a=x,x=a"


@pytest.mark.parametrize(("text", "labels"), [
    ("", {"x": "y"}),
    ("x=y", {"x": "y"}),
    ("x=y,z=w", {"x": "y", "z": "w"}),
    ("x!=y,z!=w", {"x": "z", "z": "a"}),
    ("notin=in", {"notin": "in"}),
    ("x", {"x": "z"}),
    ("!x", {"y": "z"}),
    ("x>1", {"x": "2"}),
    ("x<1", {"x": "0"}),
    ("x>0204", {"x": "0206"}),
    ("x!=y", {}),
    ("x notin (a,b)", {"y": "a"}),
    ("x notin ()", {"y": ""}),
    ("!x,y", {"y": ""}),
    ("x=", {"x": ""}),
    ("x in (,a)", {"x": ""}),
    ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah"}),
    ("topology.kubernetes.io/zone=zone-a", {"topology.kubernetes.io/zone": "zone-a"}),
])
def test_matches_when_labels_satisfy_every_requirement(text: str,
                                                       labels: dict[str, str]) -> None:
    assert LabelSelector.parse(text).matches(labels)


@pytest.mark.parametrize(("text", "labels"), [
    ("x=z", {}),
    ("x=y", {"x": "z"}),
    ("x=y,z=w", {"x": "w", "z": "w"}),
    ("x!=y,z!=w", {"x": "z", "z": "w"}),
    ("x", {"y": "z"}),
    ("!x", {"x": "z"}),
    ("x>1", {"x": "0"}),
    ("x<1", {"x": "2"}),
    ("x>1", {"x": "v2"}),
    ("x>1", {}),
    ("x<1", {}),
    ("x in ()", {"y": "baz"}),
    ("x notin (),!y", {"y": ""}),
    ("x=", {}),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}),
])
def test_does_not_match_when_a_requirement_fails(text: str, labels: dict[str, str]) -> None:
    assert not LabelSelector.parse(text).matches(labels)


def test_matches_everything_when_selector_is_empty() -> None:
    selector = LabelSelector.parse("")
    assert selector.empty
    assert selector.matches({})
    assert selector.matches(None)
    assert selector == LabelSelector.everything()


def test_is_not_empty_when_selector_has_a_requirement() -> None:
    assert not LabelSelector.parse("x").empty


def test_matches_object_labels_when_given_a_stored_object() -> None:
    selector = LabelSelector.parse("app=web")
    assert selector.matches_object({"metadata": {"labels": {"app": "web"}}})
    assert not selector.matches_object({"metadata": {}})
    assert LabelSelector.parse("app!=web").matches_object({})


def test_treats_nul_like_upstream_lexer_when_input_has_one() -> None:
    # a NUL where a token starts ends the input; inside a token it ends that token
    message = bad_request(LabelSelector.parse, "x=a, \0garbage")
    assert message == "found '', expected: identifier after ','"
    assert str(LabelSelector.parse("x\0")) == "x"
    assert str(LabelSelector.parse("x=a,\0y")) == "x=a,y"


BAD_SELECTORS = [
    ("x==a==b", "found '==', expected: ',' or 'end of string'"),
    ("!x=a", "found '=', expected: ',' or 'end of string'"),
    ("x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": "
            "for 'Gt', 'Lt' operators, the value must be an integer"),
    ("x>99999999999999999999", "unable to parse requirement: values[0]: Invalid value: "
     "\"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer"),
    ("x,,y", "found ',', expected: identifier after ','"),
    (",x,y", "found ',', expected: !, identifier, or 'end of string'"),
    ("x nott in (y)",
     "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"),
    ("a in (xyz),", "found '', expected: identifier after ','"),
    ("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'"),
    ("a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'"),
    ("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
    ("a in x", "unable to parse requirement: found 'x' expected: '('"),
    ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
    ("a in (x,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
    ("a in (,,)", "unable to parse requirement: found ')', expected: ',', or identifier"),
    ("a in (x,,)", "unable to parse requirement: found ')', expected: ',', or identifier"),
    ("a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"),
    ("(", "found '(', expected: !, identifier, or 'end of string'"),
    ("!", "unable to parse requirement: found '', expected: identifier"),
    ("!!x", "unable to parse requirement: found '!', expected: identifier"),
    ("x= (a)", "unable to parse requirement: found '(', expected: identifier"),
    ("x=a b", "found 'b', expected: ',' or 'end of string'"),
    ("-x", f'unable to parse requirement: <nil>: Invalid value: "-x": {NAME_REGEX_ERROR}'),
    ("x/", "unable to parse requirement: <nil>: Invalid value: \"x/\": "
           f"name part must be non-empty; {NAME_REGEX_ERROR}"),
    ("/x", 'unable to parse requirement: <nil>: Invalid value: "/x": '
           "prefix part must be non-empty"),
    ("a/b/c", 'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name '
              f"{VALUE_PATTERN} (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
              "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
              "subdomain prefix and '/' (e.g. 'example.com/MyName')"),
    ("Example.com/x", 'unable to parse requirement: <nil>: Invalid value: "Example.com/x": '
                      "prefix part a lowercase RFC 1123 subdomain must consist of lower case "
                      "alphanumeric characters, '-' or '.', and must start and end with an "
                      "alphanumeric character (e.g. 'example.com', regex used for validation "
                      "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    ("k" * 64, f'unable to parse requirement: <nil>: Invalid value: "{"k" * 64}": '
               "name part must be no more than 63 characters"),
    ("x=a||y=b",
     f'unable to parse requirement: values[0][x]: Invalid value: "a||y": {LABEL_VALUE_ERROR}'),
    ("x=-a",
     f'unable to parse requirement: values[0][x]: Invalid value: "-a": {LABEL_VALUE_ERROR}'),
    ("x>-5",
     f'unable to parse requirement: values[0][x]: Invalid value: "-5": {LABEL_VALUE_ERROR}'),
    ("x=" + "v" * 64, f'unable to parse requirement: values[0][x]: Invalid value: "{"v" * 64}": '
                      "must be no more than 63 characters"),
    ("x=" + "-" * 64, f'unable to parse requirement: values[0][x]: Invalid value: "{"-" * 64}": '
                      f"must be no more than 63 characters; {LABEL_VALUE_ERROR}"),
    ("x in (-a,-b)", 'unable to parse requirement: [values[0][x]: Invalid value: "-a": '
                     f'{LABEL_VALUE_ERROR}, values[1][x]: Invalid value: "-b": '
                     f"{LABEL_VALUE_ERROR}]"),
    ("x=\"a\"", 'unable to parse requirement: values[0][x]: Invalid value: "\\"a\\"": '
                f"{LABEL_VALUE_ERROR}"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SELECTORS)
def test_parse_raises_upstream_message_when_selector_is_invalid(text: str,
                                                                message: str) -> None:
    assert bad_request(LabelSelector.parse, text) == message


@pytest.mark.parametrize(("text", "key", "value"), [
    ("key in (value)", "key", "value"),
    ("key in (value,value2)", "key", None),
    ("key in (value,value1),key2 in (value2)", "key2", "value2"),
    ("key=value", "key", "value"),
    ("key==value", "key", "value"),
    ("key!=value", "key", None),
    ("key in (value),key2 in (value2)", "key", "value"),
    ("other=x", "key", None),
])
def test_exact_returns_pinned_value_when_selector_requires_one(text: str, key: str,
                                                               value: str | None) -> None:
    assert LabelSelector.parse(text).exact(key) == value


def test_from_set_requires_every_pair_when_built_from_a_map() -> None:
    selector = LabelSelector.from_set({"zone": "a", "app": "web"})
    assert str(selector) == "app=web,zone=a"
    assert selector.matches({"zone": "a", "app": "web", "x": "y"})
    assert not selector.matches({"zone": "a"})
    assert LabelSelector.from_set({}).empty
    assert LabelSelector.from_set(None).empty


def test_add_extends_selector_when_given_requirements() -> None:
    selector = LabelSelector.parse("b=1").add(Requirement.validated("a", "in", ["x"]))
    assert str(selector) == "a in (x),b=1"
    assert LabelSelector.nothing().add(Requirement("a", "exists")) == LabelSelector.nothing()


def test_validated_requirement_raises_upstream_message_when_invalid() -> None:
    assert bad_request(Requirement.validated, "x1", "in", []) == (
        "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set "
        "can't be empty")
    assert bad_request(Requirement.validated, "x5", "=", ["bar", "foo"]) == (
        'values: Invalid value: []string{"bar", "foo"}: exact-match compatibility requires '
        "one single value")
    assert bad_request(Requirement.validated, "x8", "exists", ["foo"]) == (
        'values: Invalid value: []string{"foo"}: values set must be empty for exists and does '
        "not exist")
    assert bad_request(Requirement.validated, "x13", "gt", []) == (
        "values: Invalid value: []string(nil): for 'Gt', 'Lt' operators, exactly one value is "
        "required")
    assert bad_request(Requirement.validated, "a" * 254, "exists", []).startswith(
        'key: Invalid value: "aaaa')


# ---------------------------------------------------------------------------------
# metav1.LabelSelector
# ---------------------------------------------------------------------------------


def test_selects_nothing_when_label_selector_is_nil() -> None:
    selector = label_selector_from_dict(None)
    assert not selector.empty
    assert not selector.matches({})
    assert not selector.matches({"app": "web"})
    assert str(selector) == ""


@pytest.mark.parametrize("spec", [{}, {"matchLabels": {}}, {"matchLabels": None,
                                                              "matchExpressions": []}])
def test_selects_everything_when_label_selector_is_empty(spec: dict[str, Any]) -> None:
    selector = label_selector_from_dict(spec)
    assert selector.empty
    assert selector.matches({})


def test_ands_match_labels_and_expressions_when_both_given() -> None:
    selector = label_selector_from_dict({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["front", "edge"]},
            {"key": "zone", "operator": "NotIn", "values": ["a"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "team", "operator": "Exists"},
        ]})
    assert str(selector) == "app=web,!canary,team,tier in (edge,front),zone notin (a)"
    assert selector.matches({"app": "web", "tier": "edge", "team": "x"})
    assert not selector.matches({"app": "web", "tier": "edge", "team": "x", "zone": "a"})
    assert not selector.matches({"app": "web", "tier": "edge", "team": "x", "canary": ""})
    assert not selector.matches({"app": "web", "tier": "back", "team": "x"})


@pytest.mark.parametrize(("spec", "message"), [
    ({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
     '"Gt" is not a valid label selector operator'),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
     "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be "
     "empty"),
    ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
     'values: Invalid value: []string{"x"}: values set must be empty for exists and does not '
     "exist"),
    ({"matchLabels": {"app": "-web"}},
     f'values[0][app]: Invalid value: "-web": {LABEL_VALUE_ERROR}'),
    ({"matchLabels": {"-app": "web"}}, f'key: Invalid value: "-app": {NAME_REGEX_ERROR}'),
])
def test_raises_upstream_message_when_label_selector_is_invalid(spec: dict[str, Any],
                                                                message: str) -> None:
    assert bad_request(label_selector_from_dict, spec) == message


# ---------------------------------------------------------------------------------
# Node selectors
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("requirement", "labels", "expected"), [
    ({"key": "zone", "operator": "In", "values": ["a", "b"]}, {"zone": "b"}, True),
    ({"key": "zone", "operator": "In", "values": ["a", "b"]}, {"zone": "c"}, False),
    ({"key": "zone", "operator": "In", "values": ["a"]}, {}, False),
    ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {}, True),
    ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {"zone": "a"}, False),
    ({"key": "zone", "operator": "Exists"}, {"zone": ""}, True),
    ({"key": "zone", "operator": "Exists"}, {}, False),
    ({"key": "zone", "operator": "DoesNotExist"}, {}, True),
    ({"key": "zone", "operator": "DoesNotExist"}, {"zone": "a"}, False),
    ({"key": "gen", "operator": "Gt", "values": ["0204"]}, {"gen": "0206"}, True),
    ({"key": "gen", "operator": "Gt", "values": ["0204"]}, {"gen": "0204"}, False),
    ({"key": "gen", "operator": "Lt", "values": ["5"]}, {"gen": "4"}, True),
    ({"key": "gen", "operator": "Lt", "values": ["5"]}, {"gen": "x"}, False),
    ({"key": "gen", "operator": "Lt", "values": ["5"]}, {}, False),
    ({"key": "gen", "operator": "Gt", "values": ["1", "2"]}, {"gen": "9"}, False),
    ({"key": "gen", "operator": "Gt", "values": ["x"]}, {"gen": "9"}, False),
    ({"key": "zone", "operator": "In", "values": ["-bad"]}, {"zone": "-bad"}, False),
    ({"key": "zone", "operator": "In", "values": []}, {"zone": ""}, False),
    ({"key": "zone", "operator": "Equals", "values": ["a"]}, {"zone": "a"}, False),
    ({"key": "-zone", "operator": "Exists"}, {"-zone": "a"}, False),
])
def test_node_requirement_follows_upstream_when_evaluated_on_labels(
        requirement: dict[str, Any], labels: dict[str, str], expected: bool) -> None:
    assert node_selector_requirement_matches(requirement, labels) is expected


def test_node_selector_ors_terms_when_several_are_given() -> None:
    selector = NodeSelector.from_dict({"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]},
                              {"key": "disk", "operator": "Exists"}]},
    ]})
    assert selector.matches({"zone": "a"})
    assert selector.matches({"zone": "b", "disk": "ssd"})
    assert not selector.matches({"zone": "b"})


def test_node_selector_matches_nothing_when_every_term_is_empty() -> None:
    selector = NodeSelector.from_dict({"nodeSelectorTerms": [{}, {"matchExpressions": []}]})
    assert selector.terms == ()
    assert not selector.matches({"zone": "a"}, "node-1")
    assert not NodeSelector.from_dict(None).matches({})


def test_node_selector_skips_only_the_broken_term_when_one_does_not_parse() -> None:
    selector = NodeSelector.from_dict({"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "Foo", "values": ["a"]}]},
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
    ]})
    assert not selector.matches({"zone": "a"})
    assert selector.matches({"zone": "b"})
    assert selector.errors == (
        'nodeSelectorTerms[0].matchExpressions[0].operator: Unsupported value: "Foo": '
        'supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"',)


def test_node_selector_term_reports_paths_when_values_are_invalid() -> None:
    term = NodeSelectorTerm.from_dict(
        {"matchExpressions": [{"key": "gen", "operator": "Gt", "values": ["x"]}],
         "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a", "b"]}]},
        "nodeSelectorTerms[2]")
    assert term.errors == (
        "nodeSelectorTerms[2].matchExpressions[0].values[0]: Invalid value: \"x\": for 'Gt', "
        "'Lt' operators, the value must be an integer",
        'nodeSelectorTerms[2].matchFields[0].values: Invalid value: []string{"a", "b"}: '
        "must have one element",
    )
    assert not term.matches({"gen": "1"}, "a")


def test_node_selector_pins_node_name_when_term_uses_match_fields() -> None:
    selector = NodeSelector.from_dict({"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}]})
    assert selector.matches({}, "node-1")
    assert not selector.matches({}, "node-2")
    # a nameless node is not checked against matchFields, as upstream
    assert selector.matches({}, "")
    not_in = NodeSelectorTerm.from_dict(
        {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["node-1"]}]})
    assert not_in.fields == (FieldRequirement("metadata.name", "!=", "node-1"),)
    assert not_in.matches({}, "node-2")
    assert not not_in.matches({}, "node-1")


def test_node_selector_term_ands_labels_and_fields_when_both_given() -> None:
    term = NodeSelectorTerm.from_dict({
        "matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}],
        "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]})
    assert term.matches({"zone": "a"}, "n1")
    assert not term.matches({"zone": "b"}, "n1")
    assert not term.matches({"zone": "a"}, "n2")


# ---------------------------------------------------------------------------------
# Field selectors
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "rendered"), [
    ("", ""),
    (",", ""),
    ("spec.nodeName=node-a", "spec.nodeName=node-a"),
    ("spec.nodeName==node-a", "spec.nodeName=node-a"),
    ("status.phase!=Running,spec.restartPolicy=Always",
     "spec.restartPolicy=Always,status.phase!=Running"),
    ("spec.nodeName=", "spec.nodeName="),
    ("metadata.name=a\\,b", "metadata.name=a\\,b"),
    ("metadata.name=a\\=\\=b", "metadata.name=a\\=\\=b"),
    ("metadata.name=a\\\\", "metadata.name=a\\\\"),
    ("spec.host=node-a", "spec.nodeName=node-a"),
])
def test_field_parse_renders_canonical_string_when_selector_is_valid(text: str,
                                                                     rendered: str) -> None:
    assert str(FieldSelector.parse(text, PODS)) == rendered


def test_field_selector_is_empty_when_text_has_no_terms() -> None:
    assert FieldSelector.parse("", PODS).empty
    assert FieldSelector.parse(",,", PODS).empty
    assert FieldSelector.parse("", PODS).matches({})
    assert not FieldSelector.parse("spec.nodeName=", PODS).empty


@pytest.mark.parametrize(("text", "rsc", "message"), [
    ("foo=bar", PODS, "field label not supported: foo"),
    ("spec.nodeName = a", PODS, "field label not supported: spec.nodeName "),
    ("metadata.namespace=x", NODES, "field label not supported: metadata.namespace"),
    ("spec.providerID=x", NODES, "field label not supported: spec.providerID"),
    ("metadata.namespace=x", NAMESPACES, "field label not supported: metadata.namespace"),
    ("involvedObject.kind=Pod", NEW_EVENTS, "field label not supported: involvedObject.kind"),
    ("regarding.kind=Pod", EVENTS, "field label not supported: regarding.kind"),
    ("status.succeeded=1", JOBS, 'field label "status.succeeded" not supported for batchv1.Job'),
    ("spec.replicas=1", DEPLOYMENTS,
     '"spec.replicas" is not a known field selector: only "metadata.name", '
     '"metadata.namespace"'),
    ("a", PODS, "invalid selector: 'a'; can't understand 'a'"),
    ("spec.nodeName=a,b", PODS, "invalid selector: 'spec.nodeName=a,b'; can't understand 'b'"),
    ("spec.nodeName=a=b", PODS, "invalid field selector: unescaped character in value: 61"),
    ("spec.nodeName=a,b=c,d", PODS,
     "invalid selector: 'spec.nodeName=a,b=c,d'; can't understand 'd'"),
    ("spec.nodeName=\\q", PODS, "invalid field selector: invalid escape sequence: \\q"),
    ("spec.nodeName=\\", PODS, "invalid field selector: invalid escape sequence: \\"),
    # terms are sorted first: the first bad one in sorted order is reported
    ("zzz=1,aaa=1", PODS, "field label not supported: aaa"),
    # syntax errors win over unsupported fields
    ("aaa=1,zzz", PODS, "invalid selector: 'aaa=1,zzz'; can't understand 'zzz'"),
])
def test_field_parse_raises_upstream_message_when_selector_is_invalid(
        text: str, rsc: ResourceType, message: str) -> None:
    assert bad_request(FieldSelector.parse, text, rsc) == message


@pytest.mark.parametrize(("text", "field", "value"), [
    ("metadata.name=web", "metadata.name", "web"),
    ("metadata.name==web,spec.nodeName=n1", "spec.nodeName", "n1"),
    ("metadata.name!=web", "metadata.name", None),
    ("spec.host=n1", "spec.nodeName", "n1"),
    ("spec.nodeName=", "spec.nodeName", ""),
    ("status.phase=Running", "spec.nodeName", None),
])
def test_field_exact_returns_pinned_value_when_selector_requires_one(
        text: str, field: str, value: str | None) -> None:
    assert FieldSelector.parse(text, PODS).exact(field) == value


def test_field_requirements_expose_canonical_terms_when_parsed() -> None:
    selector = FieldSelector.parse("status.phase!=Failed,spec.host=n1", PODS)
    assert selector.requirements == (FieldRequirement("spec.nodeName", "=", "n1"),
                                     FieldRequirement("status.phase", "!=", "Failed"))


def pod(**spec_status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web-1", "namespace": "default"},
            "spec": spec_status.get("spec", {}), "status": spec_status.get("status", {})}


def test_field_matches_pods_when_filtering_on_node_and_phase() -> None:
    running = pod(spec={"nodeName": "n1"}, status={"phase": "Running"})
    pending = pod(status={"phase": "Pending"})
    selector = FieldSelector.parse("spec.nodeName=n1,status.phase!=Failed", PODS)
    assert selector.matches(running)
    assert not selector.matches(pending)
    unscheduled = FieldSelector.parse("spec.nodeName=", PODS)
    assert unscheduled.matches(pending)
    assert not unscheduled.matches(running)


def test_field_matches_events_when_involved_namespace_is_empty() -> None:
    event = {"metadata": {"name": "e", "namespace": "default"},
             "involvedObject": {"kind": "Node", "name": "n1"}}
    selector = FieldSelector.parse(
        "involvedObject.kind=Node,involvedObject.name=n1,involvedObject.namespace=", EVENTS)
    assert selector.matches(event)
    event["involvedObject"]["namespace"] = "default"
    assert not selector.matches(event)


@pytest.mark.parametrize(("rsc", "obj", "field", "value"), [
    (PODS, pod(spec={"nodeName": "n1"}), "spec.nodeName", "n1"),
    (PODS, pod(), "spec.nodeName", ""),
    (PODS, pod(spec={"hostNetwork": True}), "spec.hostNetwork", "true"),
    (PODS, pod(), "spec.hostNetwork", "false"),
    (PODS, pod(spec={"restartPolicy": "Never"}), "spec.restartPolicy", "Never"),
    (PODS, pod(spec={"schedulerName": "default-scheduler"}), "spec.schedulerName",
     "default-scheduler"),
    (PODS, pod(spec={"serviceAccountName": "sa"}), "spec.serviceAccountName", "sa"),
    (PODS, pod(spec={"serviceAccount": "old"}), "spec.serviceAccountName", "old"),
    (PODS, pod(status={"phase": "Running"}), "status.phase", "Running"),
    (PODS, pod(status={"podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd::1"}]}),
     "status.podIP", "10.0.0.1"),
    (PODS, pod(status={"podIPs": [{"ip": "10.0.0.2"}]}), "status.podIP", "10.0.0.2"),
    (PODS, pod(status={"podIPs": [{"ip": "10.0.0.2"}]}), "status.podIPs", ""),
    (PODS, pod(status={"nominatedNodeName": "n2"}), "status.nominatedNodeName", "n2"),
    (PODS, pod(), "metadata.name", "web-1"),
    (PODS, pod(), "metadata.namespace", "default"),
    (NODES, {"metadata": {"name": "n1"}, "spec": {"unschedulable": True}},
     "spec.unschedulable", "true"),
    (NODES, {"metadata": {"name": "n1"}, "spec": {}}, "spec.unschedulable", "false"),
    (NODES, {"metadata": {"name": "n1"}}, "spec.unschedulable", "false"),
    (NODES, {"metadata": {"name": "n1"}}, "metadata.namespace", ""),
    (NAMESPACES, {"metadata": {"name": "ns"}, "status": {"phase": "Terminating"}},
     "status.phase", "Terminating"),
    (SECRETS, {"metadata": {"name": "s"}, "type": "kubernetes.io/tls"}, "type",
     "kubernetes.io/tls"),
    (SERVICES, {"metadata": {"name": "s"}, "spec": {"clusterIP": "None", "type": "ClusterIP"}},
     "spec.clusterIP", "None"),
    (SERVICES, {"metadata": {"name": "s"}, "spec": {"type": "NodePort"}}, "spec.type",
     "NodePort"),
    (REPLICASETS, {"metadata": {"name": "rs"}, "status": {"replicas": 3}}, "status.replicas",
     "3"),
    (REPLICASETS, {"metadata": {"name": "rs"}, "status": {}}, "status.replicas", "0"),
    (JOBS, {"metadata": {"name": "j"}, "status": {"succeeded": 2}}, "status.successful", "2"),
    (JOBS, {"metadata": {"name": "j"}}, "status.successful", "0"),
    (EVENTS, {"involvedObject": {"kind": "Pod", "uid": "u1", "fieldPath": "spec"}},
     "involvedObject.uid", "u1"),
    (EVENTS, {"involvedObject": {"kind": "Pod"}, "source": {"component": "kubelet"}},
     "source", "kubelet"),
    (EVENTS, {"involvedObject": {}, "reportingComponent": "default-scheduler"}, "source",
     "default-scheduler"),
    (EVENTS, {"reportingComponent": "default-scheduler"}, "reportingComponent",
     "default-scheduler"),
    (EVENTS, {"reason": "FailedScheduling", "type": "Warning"}, "reason", "FailedScheduling"),
    (EVENTS, {"reason": "FailedScheduling", "type": "Warning"}, "type", "Warning"),
    (NEW_EVENTS, {"regarding": {"kind": "Node", "name": "n1"}}, "regarding.name", "n1"),
    (NEW_EVENTS, {"regarding": {"apiVersion": "v1"}}, "regarding.apiVersion", "v1"),
    (NEW_EVENTS, {"reportingController": "kubelet"}, "reportingController", "kubelet"),
    (NEW_EVENTS, {"reportingController": "kubelet",
                  "deprecatedSource": {"component": "old"}}, "source", "old"),
    (NEW_EVENTS, {"reportingController": "kubelet"}, "source", "kubelet"),
    # one stored shape serves both APIs
    (NEW_EVENTS, {"involvedObject": {"kind": "Node"}}, "regarding.kind", "Node"),
    (EVENTS, {"regarding": {"kind": "Node"}}, "involvedObject.kind", "Node"),
])
def test_field_value_reads_like_upstream_when_object_is_stored(
        rsc: ResourceType, obj: dict[str, Any], field: str, value: str) -> None:
    assert field_value(rsc, obj, field) == value


def test_field_value_reads_dotted_path_when_kind_has_no_special_rule() -> None:
    assert field_value(PVS, {"spec": {"storageClassName": "standard"}},
                       "spec.storageClassName") == "standard"
    assert field_value(PVS, {"spec": {"x": {"y": False}}}, "spec.x.y") == "false"
    assert field_value(PVS, {}, "spec.x.y") == ""


@pytest.mark.parametrize("rsc", RESOURCES, ids=lambda r: r.qualified)
def test_every_listed_field_parses_and_reads_when_kind_is_served(rsc: ResourceType) -> None:
    for name in rsc.selectable_fields:
        selector = FieldSelector.parse(f"{name}=x", rsc)
        assert selector.exact(name) == "x"
        assert isinstance(field_value(rsc, {}, name), str)
        assert not selector.matches({})


@pytest.mark.parametrize(("escaped", "plain"), [
    ("", ""), ("a", "a"), ("\\=", "="), ("\\,", ","), ("\\\\", "\\"),
    ("\\\\\\=\\\\\\,\\\\", "\\=\\,\\"),
])
def test_unescape_inverts_escape_when_value_has_special_characters(escaped: str,
                                                                   plain: str) -> None:
    assert escape_field_value(plain) == escaped
    assert unescape_field_value(escaped) == plain


@pytest.mark.parametrize("value", ["\\", "\\\\\\", "\\a"])
def test_unescape_raises_when_escape_sequence_is_invalid(value: str) -> None:
    assert bad_request(unescape_field_value, value).startswith(
        "invalid field selector: invalid escape sequence: ")


# ---------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "app", "x.y", "in", "topology.kubernetes.io/zone",
                        "example.com/Tier_1"])
VALUES = st.sampled_from(["", "a", "b", "web", "1", "10", "0206", "x_y.z"])
LABELS = st.dictionaries(KEYS, VALUES, max_size=4)
OPERATORS = st.sampled_from(["=", "==", "!=", "in", "notin", "exists", "!", "gt", "lt"])
NUMBERS = st.sampled_from(["0", "1", "9", "10", "0206"])


@st.composite
def requirement_texts(draw: st.DrawFn) -> str:
    """One requirement in the string grammar, spelled with random spacing."""
    key = draw(KEYS)
    operator = draw(OPERATORS)
    space = draw(st.sampled_from(["", " ", "  ", "\t"]))
    if operator == "exists":
        return key
    if operator == "!":
        return f"!{space}{key}"
    if operator in ("gt", "lt"):
        return f"{key}{space}{'>' if operator == 'gt' else '<'}{space}{draw(NUMBERS)}"
    if operator in ("in", "notin"):
        # unique values: upstream rejects two empty slots in a row before ')'
        values = draw(st.lists(VALUES, min_size=1, max_size=3, unique=True))
        return f"{key} {operator}{space}({(',' + space).join(values)})"
    return f"{key}{space}{operator}{space}{draw(VALUES)}"


SELECTOR_TEXTS = st.lists(requirement_texts(), max_size=4).map(",".join)


@given(KEYS, VALUES, LABELS)
def test_in_with_one_value_equals_equality_for_any_labels(key: str, value: str,
                                                          labels: dict[str, str]) -> None:
    assert (LabelSelector.parse(f"{key} in ({value})").matches(labels)
            == LabelSelector.parse(f"{key}={value}").matches(labels))


@given(KEYS, VALUES, LABELS)
def test_notin_with_one_value_equals_inequality_for_any_labels(
        key: str, value: str, labels: dict[str, str]) -> None:
    assert (LabelSelector.parse(f"{key} notin ({value})").matches(labels)
            == LabelSelector.parse(f"{key}!={value}").matches(labels))


@given(SELECTOR_TEXTS, LABELS)
def test_rendered_selector_reparses_to_same_selector_for_any_text(text: str,
                                                                  labels: dict[str, str]) -> None:
    selector = LabelSelector.parse(text)
    again = LabelSelector.parse(str(selector))
    assert again == selector
    assert str(again) == str(selector)
    assert again.matches(labels) == selector.matches(labels)


@given(SELECTOR_TEXTS, SELECTOR_TEXTS, LABELS)
def test_conjunction_matches_intersection_for_any_two_selectors(
        first: str, second: str, labels: dict[str, str]) -> None:
    both = ",".join(part for part in (first, second) if part)
    assert LabelSelector.parse(both).matches(labels) == (
        LabelSelector.parse(first).matches(labels)
        and LabelSelector.parse(second).matches(labels))


@given(SELECTOR_TEXTS, LABELS)
def test_compiled_match_agrees_with_each_requirement_for_any_selector(
        text: str, labels: dict[str, str]) -> None:
    selector = LabelSelector.parse(text)
    assert selector.matches(labels) == all(r.matches(labels) for r in selector.requirements)


@given(KEYS, st.lists(VALUES, min_size=1, max_size=3), st.sampled_from(["In", "NotIn"]),
       LABELS)
def test_dict_expression_equals_string_form_for_any_values(
        key: str, values: list[str], operator: str, labels: dict[str, str]) -> None:
    from_dict = label_selector_from_dict(
        {"matchExpressions": [{"key": key, "operator": operator, "values": values}]})
    text = f"{key} {operator.lower()} ({','.join(sorted(set(values)))})"
    assert from_dict.matches(labels) == LabelSelector.parse(text).matches(labels)
    assert node_selector_requirement_matches(
        {"key": key, "operator": operator, "values": values}, labels) == from_dict.matches(labels)


@given(KEYS, st.integers(min_value=-50, max_value=50), st.integers(min_value=0, max_value=50),
       st.sampled_from(["Gt", "Lt"]))
def test_gt_and_lt_compare_as_integers_for_any_numbers(key: str, label: int, bound: int,
                                                       operator: str) -> None:
    expected = label > bound if operator == "Gt" else label < bound
    requirement = {"key": key, "operator": operator, "values": [str(bound)]}
    assert node_selector_requirement_matches(requirement, {key: str(label)}) is expected


@given(st.text())
def test_escaped_value_round_trips_for_any_text(value: str) -> None:
    assert unescape_field_value(escape_field_value(value)) == value
    selector = FieldSelector.parse(f"metadata.name={escape_field_value(value)}", PODS)
    assert selector.exact("metadata.name") == value
    assert FieldSelector.parse(str(selector), PODS) == selector
    assert selector.matches({"metadata": {"name": value}})
