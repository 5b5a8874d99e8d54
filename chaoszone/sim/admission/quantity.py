"""Resource quantities (``500m``, ``1Gi``, ``2e3``): parsing, comparison, and the
JSON shape the API emits.

Owns: turning a quantity into an exact :class:`~decimal.Decimal` for comparisons (QoS,
PVC resizing, positivity checks), and normalising numbers sent as JSON numbers
(``"cpu": 1``) into strings, since the server always answers with strings and the
official client's strict models reject numbers. Canonical re-formatting (``1000m`` ->
``1``) is not done: values keep the spelling the client sent.

Upstream: staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go (release-1.32).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["QuantityError", "normalize", "parse"]

_SUFFIXES = {
    "": Decimal(1),
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
    "P": Decimal("1e15"), "E": Decimal("1e18"),
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}

_QUANTITY = re.compile(
    r"^(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE](?P<exp>[+-]?[0-9]+))?\Z")


class QuantityError(ValueError):
    """The text is not a quantity (``quantities must match the regular expression ...``)."""


def parse(value: Any) -> Decimal:
    """The exact value of a quantity given as a string or a JSON number."""
    if isinstance(value, bool):
        raise QuantityError(str(value))
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        raise QuantityError(repr(value))
    m = _QUANTITY.match(value.strip())
    if not m:
        raise QuantityError(value)
    try:
        num = Decimal(m.group("num"))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise QuantityError(value) from exc
    if m.group("exp") is not None:
        return num.scaleb(int(m.group("exp")))
    return num * _SUFFIXES[m.group("suffix") or ""]


def normalize(value: Any) -> Any:
    """A JSON number becomes the string the server would print; anything else is kept."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(str(value)).normalize(), "f")
    return value
