"""The Status bodies errors turn into, shaped as k8s.io/apimachinery/pkg/api/errors."""

from __future__ import annotations

from chaoszone.sim import errors


def test_a_not_found_for_an_unserved_path_carries_empty_details() -> None:
    status = errors.ApiError(404, "NotFound",
                             "the server could not find the requested resource").status()
    assert status["details"] == {}


def test_a_method_not_allowed_carries_empty_details() -> None:
    assert errors.MethodNotAllowed("nope").status()["details"] == {}


def test_a_bad_request_carries_no_details() -> None:
    assert "details" not in errors.BadRequest("bad").status()


def test_a_named_not_found_carries_the_kind_and_name() -> None:
    status = errors.NotFound("pods", "web").status()
    assert status["details"] == {"name": "web", "kind": "pods"}
