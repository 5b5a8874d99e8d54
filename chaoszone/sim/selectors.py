"""Label and field selectors, parsed and matched the way kube-apiserver 1.32 does.

This module owns every selector the simulator evaluates:

* the ``labelSelector`` query parameter (string form, full grammar of
  ``k8s.io/apimachinery/pkg/labels/selector.go`` ``Parse``: ``k``, ``!k``, ``k=v``,
  ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k>N``, ``k<N``), with
  upstream's key and value validation and its error messages word for word
  (``pkg/util/validation/validation.go`` ``IsQualifiedName``/``IsValidLabelValue``,
  ``pkg/util/validation/field/errors.go`` for the ``<path>: Invalid value: ...`` shape);
* ``metav1.LabelSelector`` objects (``pkg/apis/meta/v1/helpers.go``
  ``LabelSelectorAsSelector``: a nil selector selects nothing, an empty one everything);
* node selectors and node selector requirements, as the scheduler evaluates them
  (``k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go``: terms
  are ORed, an empty term is skipped, a term that does not parse never matches);
* the ``fieldSelector`` query parameter (``pkg/fields/selector.go`` ``ParseSelector``:
  ``f=v``, ``f==v``, ``f!=v`` with ``\\,`` ``\\=`` ``\\\\`` escapes), checked against the
  fields a kind can select on, rejected with the message of that kind's field label
  conversion (``kubernetes/pkg/apis/{core,batch,events}/v1/conversion.go``; kinds
  without one use ``pkg/runtime/conversion.go`` ``DefaultMetaV1FieldSelectorConversion``),
  and the value of each field computed from a stored object as upstream's
  ``GetAttrs``/``ToSelectableFields`` do (``kubernetes/pkg/registry/*/strategy.go``).

Selectors are parsed once into immutable objects whose ``matches`` is compiled for
the common shapes, because a list filters 10,000 objects and an event is offered to
hundreds of watchers. ``empty`` is a plain attribute so callers can skip filtering.
Parse errors raise :func:`chaoszone.sim.errors.BadRequest` with upstream's message,
which the API layer sends as a 400 ``Status``.

Facts are taken from upstream (grammar, messages, per-kind fields); the code is
this project's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol

from chaoszone.sim.errors import BadRequest

__all__ = [
    "FieldOperator",
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "NodeSelector",
    "NodeSelectorTerm",
    "Operator",
    "Requirement",
    "ResourceLike",
    "escape_field_value",
    "field_value",
    "label_selector_from_dict",
    "node_selector_requirement_matches",
    "unescape_field_value",
]

#: upstream's ``selection.Operator`` values
Operator = Literal["in", "notin", "=", "==", "!=", "exists", "!", "gt", "lt"]
#: a field requirement is an equality or an inequality (``==`` is kept as ``=``)
FieldOperator = Literal["=", "!="]

LabelMatcher = Callable[[Mapping[str, str]], bool]
ObjectMatcher = Callable[[Mapping[str, Any]], bool]
FieldGetter = Callable[[Mapping[str, Any]], str]

_NO_LABELS: Mapping[str, str] = {}


class ResourceLike(Protocol):
    """What a field selector needs to know of a kind (``resources.ResourceType`` fits)."""

    @property
    def group(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def selectable_fields(self) -> tuple[str, ...]: ...


# ---------------------------------------------------------------------------------
# Go formatting: %q and %#v of the values that appear in upstream's messages
# ---------------------------------------------------------------------------------

_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def _go_quote(text: str) -> str:
    """``strconv.Quote``: what Go's ``%q`` prints for a string."""
    out = ['"']
    for ch in text:
        escaped = _GO_ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x20 or code == 0x7F:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _go_value(value: str | Sequence[str] | None) -> str:
    """``%#v``/``%q`` of a field error's bad value (a string or a ``[]string``)."""
    if isinstance(value, str):
        return _go_quote(value)
    if not value:
        return "[]string(nil)" if value is None else "[]string{}"
    return "[]string{" + ", ".join(_go_quote(v) for v in value) + "}"


def _field_error(path: str, kind: str, value: str | Sequence[str] | None,
                 detail: str) -> str:
    """One ``field.Error`` rendered by ``Error()``: ``<path>: <kind>: <value>: <detail>``."""
    text = f"{path}: {kind}: {_go_value(value)}"
    return f"{text}: {detail}" if detail else text


def _aggregate(messages: Sequence[str]) -> str:
    """``ErrorList.ToAggregate().Error()``: duplicates dropped, brackets for several."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ---------------------------------------------------------------------------------
# Validation of keys and values (pkg/util/validation/validation.go)
# ---------------------------------------------------------------------------------

_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start "
              "and end with an alphanumeric character")
_LABEL_VALUE_FMT = f"({_QNAME_FMT})?"
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric "
                    "characters, '-', '_' or '.', and must start and end with an "
                    "alphanumeric character")
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case "
                          "alphanumeric characters, '-' or '.', and must start and end "
                          "with an alphanumeric character")

_QNAME_RE = re.compile(_QNAME_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_INT_RE = re.compile("[+-]?[0-9]+")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    """``validation.RegexError``, odd spacing included."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def _byte_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _dns1123_subdomain_errors(value: str) -> list[str]:
    errs = []
    if _byte_length(value) > 253:
        errs.append("must be no more than 253 characters")
    if _DNS1123_SUBDOMAIN_RE.fullmatch(value) is None:
        errs.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def _qualified_name_errors(value: str) -> list[str]:
    """``IsQualifiedName``: a label key, ``[prefix/]name``."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + msg for msg in _dns1123_subdomain_errors(prefix))
    else:
        return ["a qualified name "
                + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif _byte_length(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if _QNAME_RE.fullmatch(name) is None:
        errs.append("name part "
                    + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def _label_value_errors(value: str) -> list[str]:
    """``IsValidLabelValue``."""
    errs = []
    if _byte_length(value) > 63:
        errs.append("must be no more than 63 characters")
    if _LABEL_VALUE_RE.fullmatch(value) is None:
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT,
                                 "MyValue", "my_value", "12345"))
    return errs


def _parse_int64(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``: optional sign, ASCII digits, in range."""
    if _INT_RE.fullmatch(text) is None:
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


# ---------------------------------------------------------------------------------
# Label requirements and selectors
# ---------------------------------------------------------------------------------

_REQUIREMENT_OPERATORS: tuple[str, ...] = ("in", "notin", "=", "==", "!=", "gt", "lt",
                                           "exists", "!")


def _requirement_errors(key: str, operator: str, values: Sequence[str] | None,
                        path: str = "") -> list[str]:
    """What ``labels.NewRequirement`` objects to, in its order (empty when valid)."""
    errs = []
    key_errs = _qualified_name_errors(key)
    if key_errs:
        errs.append(_field_error(_child(path, "key"), "Invalid value", key, "; ".join(key_errs)))
    vals = list(values or ())
    values_path = _child(path, "values")
    if operator in ("in", "notin"):
        if not vals:
            errs.append(_field_error(values_path, "Invalid value", values,
                                     "for 'in', 'notin' operators, values set can't be empty"))
    elif operator in ("=", "==", "!="):
        if len(vals) != 1:
            errs.append(_field_error(values_path, "Invalid value", values,
                                     "exact-match compatibility requires one single value"))
    elif operator in ("exists", "!"):
        if vals:
            errs.append(_field_error(values_path, "Invalid value", values,
                                     "values set must be empty for exists and does not exist"))
    elif operator in ("gt", "lt"):
        if len(vals) != 1:
            errs.append(_field_error(values_path, "Invalid value", values,
                                     "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, value in enumerate(vals):
            if _parse_int64(value) is None:
                errs.append(_field_error(f"{values_path}[{i}]", "Invalid value", value,
                                         "for 'Gt', 'Lt' operators, the value must be an integer"))
    else:
        supported = ", ".join(_go_quote(op) for op in _REQUIREMENT_OPERATORS)
        errs.append(_field_error(_child(path, "operator"), "Unsupported value", operator,
                                 f"supported values: {supported}"))
    for i, value in enumerate(vals):
        value_errs = _label_value_errors(value)
        if value_errs:
            errs.append(_field_error(f"{values_path}[{i}][{key}]", "Invalid value", value,
                                     "; ".join(value_errs)))
    return errs


def _label_predicate(key: str, operator: str, values: tuple[str, ...]) -> LabelMatcher:
    """A fast test of one requirement against a label map (``Requirement.Matches``)."""
    if operator in ("in", "=", "=="):
        if len(values) == 1:
            wanted = values[0]

            def equals(labels: Mapping[str, str]) -> bool:
                return labels.get(key) == wanted
            return equals
        allowed = frozenset(values)

        def member(labels: Mapping[str, str]) -> bool:
            return labels.get(key) in allowed
        return member
    if operator in ("notin", "!="):
        # a missing key (None) is never among the values: absent keys match
        if len(values) == 1:
            unwanted = values[0]

            def differs(labels: Mapping[str, str]) -> bool:
                return labels.get(key) != unwanted
            return differs
        excluded = frozenset(values)

        def not_member(labels: Mapping[str, str]) -> bool:
            return labels.get(key) not in excluded
        return not_member
    if operator == "exists":
        def exists(labels: Mapping[str, str]) -> bool:
            return key in labels
        return exists
    if operator == "!":
        def absent(labels: Mapping[str, str]) -> bool:
            return key not in labels
        return absent
    if operator in ("gt", "lt"):
        bound = _parse_int64(values[0]) if len(values) == 1 else None
        if bound is None:
            return _never
        greater = operator == "gt"

        def compare(labels: Mapping[str, str]) -> bool:
            raw = labels.get(key)
            if raw is None:
                return False
            number = _parse_int64(raw)
            if number is None:
                return False
            return number > bound if greater else number < bound
        return compare
    return _never


def _always(_: Mapping[str, Any]) -> bool:
    return True


def _never(_: Mapping[str, Any]) -> bool:
    return False


_OPERATOR_TEXT = {"=": "=", "==": "==", "!=": "!=", "in": " in ", "notin": " notin ",
                  "gt": ">", "lt": "<"}


@dataclass(frozen=True)
class Requirement:
    """One label requirement: ``key``, an :data:`Operator`, and its values.

    Built by the parsers (validated); build one directly with :meth:`validated`.
    """

    key: str
    operator: Operator
    values: tuple[str, ...] = ()
    _predicate: LabelMatcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_predicate",
                           _label_predicate(self.key, self.operator, self.values))

    @classmethod
    def validated(cls, key: str, operator: Operator,
                  values: Iterable[str] = ()) -> Requirement:
        """``labels.NewRequirement``: raises BadRequest with upstream's message."""
        vals = tuple(values)
        errs = _requirement_errors(key, operator, vals if vals else None)
        if errs:
            raise BadRequest(_aggregate(errs))
        return cls(key, operator, vals)

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Upstream semantics: ``notin``/``!=``/``!`` also match when the key is absent."""
        return self._predicate(labels if labels is not None else _NO_LABELS)

    def __str__(self) -> str:
        """``Requirement.String``: ``!k``, ``k``, ``k=v``, ``k in (a,b)``, ``k>1``..."""
        if self.operator == "!":
            return "!" + self.key
        if self.operator == "exists":
            return self.key
        shown = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if self.operator in ("in", "notin"):
            shown = f"({shown})"
        return f"{self.key}{_OPERATOR_TEXT[self.operator]}{shown}"


def _compile_labels(requirements: tuple[Requirement, ...],
                    selects_nothing: bool) -> LabelMatcher:
    if selects_nothing:
        return _never
    if not requirements:
        return _always
    if len(requirements) == 1:
        return requirements[0]._predicate
    if all(r.operator in ("=", "==", "in") and len(r.values) == 1 for r in requirements):
        pairs = tuple((r.key, r.values[0]) for r in requirements)

        def all_equal(labels: Mapping[str, str]) -> bool:
            get = labels.get
            for key, wanted in pairs:  # noqa: SIM110 - a plain loop beats all() here
                if get(key) != wanted:
                    return False
            return True
        return all_equal
    predicates = tuple(r._predicate for r in requirements)

    def all_hold(labels: Mapping[str, str]) -> bool:
        for predicate in predicates:  # noqa: SIM110 - a plain loop beats all() here
            if not predicate(labels):
                return False
        return True
    return all_hold


@dataclass(frozen=True)
class LabelSelector:
    """A parsed label selector: the AND of its requirements, sorted by key.

    ``selects_nothing`` is upstream's ``labels.Nothing()`` (what a nil
    ``metav1.LabelSelector`` converts to); an empty selector selects everything.
    """

    requirements: tuple[Requirement, ...] = ()
    selects_nothing: bool = False
    #: true when the selector does not restrict anything (callers skip filtering)
    empty: bool = field(init=False, compare=False)
    _match: LabelMatcher = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "empty", not self.selects_nothing and not self.requirements)
        object.__setattr__(self, "_match",
                           _compile_labels(self.requirements, self.selects_nothing))
        object.__setattr__(self, "_hash", hash((self.requirements, self.selects_nothing)))

    def __hash__(self) -> int:
        # the dataclass's own hash, computed once: selectors key the scheduler's counters
        # (an OrderedDict hashes every key it iterates) and other caches
        return self._hash

    @classmethod
    def parse(cls, text: str) -> LabelSelector:
        """Parse the string form (``labels.Parse``); raises BadRequest like upstream."""
        return _parse_label_selector(text)

    @classmethod
    def everything(cls) -> LabelSelector:
        return _EVERYTHING

    @classmethod
    def nothing(cls) -> LabelSelector:
        return _NOTHING

    @classmethod
    def from_set(cls, labels: Mapping[str, str] | None) -> LabelSelector:
        """``labels.SelectorFromSet``: every pair must be equal; empty selects everything.

        Not validated, as upstream (a pod's ``nodeSelector``, a Service's selector).
        """
        if not labels:
            return _EVERYTHING
        return cls(tuple(Requirement(k, "=", (labels[k],)) for k in sorted(labels)))

    def add(self, *requirements: Requirement) -> LabelSelector:
        """A new selector that also requires ``requirements`` (``Selector.Add``)."""
        if self.selects_nothing:
            return self
        merged = sorted(self.requirements + requirements, key=lambda r: r.key)
        return LabelSelector(tuple(merged))

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        return self._match(labels if labels is not None else _NO_LABELS)

    def matches_object(self, obj: Mapping[str, Any]) -> bool:
        """Match the ``metadata.labels`` of a stored object."""
        labels = (obj.get("metadata") or {}).get("labels")
        return self._match(labels if labels is not None else _NO_LABELS)

    def exact(self, key: str) -> str | None:
        """``RequiresExactMatch``: the one value ``key`` must have, if the selector pins it."""
        for requirement in self.requirements:
            if requirement.key == key:
                if requirement.operator in ("=", "==", "in") and len(requirement.values) == 1:
                    return requirement.values[0]
                return None
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


_EVERYTHING = LabelSelector()
_NOTHING = LabelSelector(selects_nothing=True)


# -- the string parser (labels.Parse) -------------------------------------------------

(_END, _CLOSE, _COMMA, _NOT, _DEQ, _EQ, _GT, _ID, _IN, _LT, _NEQ, _NOTIN,
 _OPEN) = range(13)

_SPECIAL_TOKENS = {")": _CLOSE, ",": _COMMA, "!": _NOT, "==": _DEQ, "=": _EQ, ">": _GT,
                   "<": _LT, "!=": _NEQ, "(": _OPEN}
_KEYWORDS = {"in": _IN, "notin": _NOTIN}
_SPECIAL_CHARS = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
_BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt"
_TOKEN_OPERATORS: dict[int, Operator] = {_IN: "in", _NOTIN: "notin", _EQ: "=", _DEQ: "==",
                                         _NEQ: "!=", _GT: "gt", _LT: "lt"}


class _SelectorSyntaxError(Exception):
    pass


def _lex(text: str) -> list[tuple[int, str]]:
    """Tokens up to the end of the string or the first NUL the lexer stops at.

    Byte for byte like upstream's lexer: NUL reads as end of input, ``!=`` and ``==``
    are the only two-character tokens, ``in``/``notin`` are keywords.
    """
    tokens: list[tuple[int, str]] = []
    size = len(text)
    pos = 0
    while True:
        ch = "\0"
        while pos < size:
            ch = text[pos]
            pos += 1
            if ch not in _WHITESPACE:
                break
            ch = "\0"
        if ch == "\0":
            tokens.append((_END, ""))
            return tokens
        if ch in _SPECIAL_CHARS:
            literal = ch
            buffer = ch
            while pos < size:
                nxt = text[pos]
                pos += 1
                if nxt == "\0":
                    break
                if nxt not in _SPECIAL_CHARS:
                    pos -= 1
                    break
                buffer += nxt
                if buffer in _SPECIAL_TOKENS:
                    literal = buffer
                else:
                    pos -= 1
                    break
            tokens.append((_SPECIAL_TOKENS[literal], literal))
            continue
        start = pos - 1
        end = size
        while pos < size:
            nxt = text[pos]
            if nxt == "\0":
                end = pos
                pos += 1
                break
            if nxt in _SPECIAL_CHARS or nxt in _WHITESPACE:
                end = pos
                break
            pos += 1
        word = text[start:end]
        tokens.append((_KEYWORDS.get(word, _ID), word))


class _LabelParser:
    """A recursive-descent parser over the token list, with upstream's messages."""

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.position = 0

    def _peek(self, values: bool = True) -> tuple[int, str]:
        tok, lit = self.tokens[min(self.position, len(self.tokens) - 1)]
        if values and tok in (_IN, _NOTIN):
            tok = _ID  # in a value position the keywords are plain identifiers
        return tok, lit

    def _take(self, values: bool = True) -> tuple[int, str]:
        item = self._peek(values)
        self.position += 1
        return item

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self._peek()
            if tok == _END:
                return requirements
            if tok not in (_ID, _NOT):
                raise _SelectorSyntaxError(
                    f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self._requirement())
            except _SelectorSyntaxError as exc:
                raise _SelectorSyntaxError(f"unable to parse requirement: {exc}") from None
            tok, lit = self._take()
            if tok == _END:
                return requirements
            if tok != _COMMA:
                raise _SelectorSyntaxError(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self._peek()
            if tok not in (_ID, _NOT):
                raise _SelectorSyntaxError(f"found '{lit}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        operator: Operator | None = None
        tok, key = self._take()
        if tok == _NOT:
            operator = "!"
            tok, key = self._take()
        if tok != _ID:
            raise _SelectorSyntaxError(f"found '{key}', expected: identifier")
        key_errs = _qualified_name_errors(key)
        if key_errs:
            raise _SelectorSyntaxError(
                _field_error("<nil>", "Invalid value", key, "; ".join(key_errs)))
        if operator is None and self._peek()[0] in (_END, _COMMA):
            operator = "exists"
        if operator is not None:
            return Requirement(key, operator, ())
        tok, lit = self._take(values=False)
        found = _TOKEN_OPERATORS.get(tok)
        if found is None:
            raise _SelectorSyntaxError(f"found '{lit}', expected: {_BINARY_OPERATORS}")
        values = self._value_set() if found in ("in", "notin") else self._exact_value()
        unique = tuple(sorted(set(values)))
        errs = _requirement_errors(key, found, unique)
        if errs:
            raise _SelectorSyntaxError(_aggregate(errs))
        return Requirement(key, found, unique)

    def _value_set(self) -> list[str]:
        tok, lit = self._take()
        if tok != _OPEN:
            raise _SelectorSyntaxError(f"found '{lit}' expected: '('")
        tok, lit = self._peek()
        if tok == _CLOSE:
            self._take()
            return [""]
        if tok not in (_ID, _COMMA):
            raise _SelectorSyntaxError(f"found '{lit}', expected: ',', ')' or identifier")
        values: list[str] = []
        while True:
            tok, lit = self._take()
            if tok == _ID:
                values.append(lit)
                nxt, nxt_lit = self._peek()
                if nxt == _CLOSE:
                    break
                if nxt != _COMMA:
                    raise _SelectorSyntaxError(f"found '{nxt_lit}', expected: ',' or ')'")
            elif tok == _COMMA:
                # an empty slot between commas or next to a parenthesis is the value ""
                if not values:
                    values.append("")
                nxt = self._peek()[0]
                if nxt == _CLOSE:
                    values.append("")
                    break
                if nxt == _COMMA:
                    self._take()
                    values.append("")
            else:
                raise _SelectorSyntaxError(f"found '{lit}', expected: ',', or identifier")
        self._take()  # the closing parenthesis
        return values

    def _exact_value(self) -> list[str]:
        if self._peek()[0] in (_END, _COMMA):
            return [""]
        tok, lit = self._take()
        if tok != _ID:
            raise _SelectorSyntaxError(f"found '{lit}', expected: identifier")
        return [lit]


@lru_cache(maxsize=512)
def _parse_label_selector(text: str) -> LabelSelector:
    try:
        requirements = _LabelParser(text).parse()
    except _SelectorSyntaxError as exc:
        raise BadRequest(str(exc)) from None
    if not requirements:
        return _EVERYTHING
    requirements.sort(key=lambda r: r.key)
    return LabelSelector(tuple(requirements))


# -- metav1.LabelSelector -------------------------------------------------------------

_LABEL_SELECTOR_OPERATORS: dict[str, Operator] = {
    "In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def label_selector_from_dict(selector: Mapping[str, Any] | None) -> LabelSelector:
    """``metav1.LabelSelectorAsSelector``: ``None`` selects nothing, ``{}`` everything.

    ``matchLabels`` and ``matchExpressions`` (In, NotIn, Exists, DoesNotExist) are
    ANDed. An invalid selector raises BadRequest with upstream's message.
    """
    if selector is None:
        return _NOTHING
    match_labels: Mapping[str, str] = selector.get("matchLabels") or {}
    expressions: Sequence[Mapping[str, Any]] = selector.get("matchExpressions") or ()
    if not match_labels and not expressions:
        return _EVERYTHING
    requirements = []
    for key, value in match_labels.items():
        requirements.append(Requirement.validated(key, "=", (value,)))
    for expression in expressions:
        raw_operator = expression.get("operator")
        operator = _LABEL_SELECTOR_OPERATORS.get(raw_operator or "")
        if operator is None:
            raise BadRequest(
                f"{_go_quote(str(raw_operator or ''))} is not a valid label selector operator")
        key = expression.get("key") or ""
        values = list(expression.get("values") or ())
        errs = _requirement_errors(key, operator, values if values else None)
        if errs:
            raise BadRequest(_aggregate(errs))
        requirements.append(Requirement(key, operator, tuple(values)))
    requirements.sort(key=lambda r: r.key)
    return LabelSelector(tuple(requirements))


# ---------------------------------------------------------------------------------
# Node selectors (component-helpers/scheduling/corev1/nodeaffinity)
# ---------------------------------------------------------------------------------

_NODE_OPERATORS: dict[str, Operator] = {
    "In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!",
    "Gt": "gt", "Lt": "lt"}
_NODE_OPERATOR_NAMES = '"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"'
_NODE_FIELD_OPERATOR_NAMES = '"In", "NotIn"'


def _node_requirement(expression: Mapping[str, Any],
                      path: str) -> tuple[Requirement | None, list[str]]:
    raw_operator = str(expression.get("operator") or "")
    operator = _NODE_OPERATORS.get(raw_operator)
    if operator is None:
        return None, [_field_error(_child(path, "operator"), "Unsupported value", raw_operator,
                                   f"supported values: {_NODE_OPERATOR_NAMES}")]
    key = str(expression.get("key") or "")
    raw_values = expression.get("values")
    values = tuple(raw_values or ())
    errs = _requirement_errors(key, operator, values if raw_values is not None else None, path)
    if errs:
        return None, errs
    return Requirement(key, operator, values), []


def node_selector_requirement_matches(requirement: Mapping[str, Any],
                                      labels: Mapping[str, str] | None) -> bool:
    """One ``NodeSelectorRequirement`` (In, NotIn, Exists, DoesNotExist, Gt, Lt) on labels.

    A requirement upstream cannot parse (bad key, bad value, ``Gt`` without one integer
    value) never matches. ``NotIn`` and ``DoesNotExist`` match when the key is absent.
    """
    parsed, _ = _node_requirement(requirement, "")
    return parsed is not None and parsed.matches(labels)


@dataclass(frozen=True)
class NodeSelectorTerm:
    """A ``NodeSelectorTerm``: ``matchExpressions`` on labels AND ``matchFields``.

    ``matchFields`` only knows ``metadata.name`` (other field names read as ""), and
    is ignored for a node without a name, as upstream. A term with ``errors`` (it did
    not parse) never matches.
    """

    labels: LabelSelector | None = None
    fields: tuple[FieldRequirement, ...] | None = None
    errors: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, term: Mapping[str, Any], path: str = "") -> NodeSelectorTerm:
        errs: list[str] = []
        labels: LabelSelector | None = None
        expressions = term.get("matchExpressions") or ()
        if expressions:
            requirements = []
            for i, expression in enumerate(expressions):
                parsed, req_errs = _node_requirement(
                    expression, f"{_child(path, 'matchExpressions')}[{i}]")
                errs.extend(req_errs)
                if parsed is not None:
                    requirements.append(parsed)
            requirements.sort(key=lambda r: r.key)
            labels = LabelSelector(tuple(requirements))
        fields: tuple[FieldRequirement, ...] | None = None
        field_expressions = term.get("matchFields") or ()
        if field_expressions:
            parsed_fields = []
            for i, expression in enumerate(field_expressions):
                item_path = f"{_child(path, 'matchFields')}[{i}]"
                operator = expression.get("operator")
                values = expression.get("values")
                if operator not in ("In", "NotIn"):
                    errs.append(_field_error(_child(item_path, "operator"), "Unsupported value",
                                             str(operator or ""),
                                             f"supported values: {_NODE_FIELD_OPERATOR_NAMES}"))
                elif values is None or len(values) != 1:
                    errs.append(_field_error(_child(item_path, "values"), "Invalid value",
                                             values, "must have one element"))
                else:
                    parsed_fields.append(FieldRequirement(
                        str(expression.get("key") or ""), "=" if operator == "In" else "!=",
                        str(values[0])))
            fields = tuple(parsed_fields)
        return cls(labels, fields, tuple(errs))

    @property
    def empty(self) -> bool:
        """No expressions and no fields: upstream skips such a term."""
        return self.labels is None and self.fields is None and not self.errors

    def matches(self, labels: Mapping[str, str] | None, name: str = "") -> bool:
        if self.errors:
            return False
        if self.labels is not None and not self.labels.matches(labels):
            return False
        if self.fields is not None and name:
            for requirement in self.fields:
                value = name if requirement.field == "metadata.name" else ""
                if (value == requirement.value) != (requirement.operator == "="):
                    return False
        return True


@dataclass(frozen=True)
class NodeSelector:
    """A ``v1.NodeSelector``: its non-empty terms, ORed. No terms: matches nothing."""

    terms: tuple[NodeSelectorTerm, ...] = ()

    @classmethod
    def from_dict(cls, selector: Mapping[str, Any] | None) -> NodeSelector:
        terms = []
        for i, term in enumerate((selector or {}).get("nodeSelectorTerms") or ()):
            parsed = NodeSelectorTerm.from_dict(term or {}, f"nodeSelectorTerms[{i}]")
            if not parsed.empty:
                terms.append(parsed)
        return cls(tuple(terms))

    @property
    def errors(self) -> tuple[str, ...]:
        """Parse errors of every term (``NewNodeSelector`` would refuse the selector)."""
        return tuple(err for term in self.terms for err in term.errors)

    def matches(self, labels: Mapping[str, str] | None, name: str = "") -> bool:
        return any(term.matches(labels, name) for term in self.terms)


# ---------------------------------------------------------------------------------
# Field selectors (pkg/fields/selector.go) and per-kind field values
# ---------------------------------------------------------------------------------


def escape_field_value(value: str) -> str:
    """``fields.EscapeValue``: backslash-escape ``\\``, ``,`` and ``=``."""
    if not any(ch in value for ch in "\\,="):
        return value
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_field_value(value: str) -> str:
    """``fields.UnescapeValue``; raises BadRequest on a bad escape or a bare ``,``/``=``."""
    if not any(ch in value for ch in "\\,="):
        return value
    out = []
    escaped = False
    for ch in value:
        if escaped:
            if ch not in "\\,=":
                raise BadRequest(
                    f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            raise BadRequest(
                f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if escaped:
        raise BadRequest("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not escaped; escapes stay in the terms."""
    if not text:
        return []
    terms = []
    start = 0
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """The first ``!=``, ``==`` or ``=`` splits a term; the field has no escapes."""
    for i in range(len(term)):
        for operator in ("!=", "==", "="):
            if term.startswith(operator, i):
                return term[:i], operator, term[i + len(operator):]
    return None


@dataclass(frozen=True)
class FieldRequirement:
    """``field=value`` or ``field!=value`` (``==`` is kept as ``=``, as upstream)."""

    field: str
    operator: FieldOperator
    value: str

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{escape_field_value(self.value)}"


# -- which field labels each kind accepts, and what upstream says when it does not --

#: kinds whose field label conversion rejects with "field label not supported: X"
_PLAIN_CONVERSIONS = frozenset({
    ("", "Pod"), ("", "Node"), ("", "Namespace"), ("", "Secret"), ("", "Service"),
    ("", "Event"), ("", "ReplicationController"), ("events.k8s.io", "Event")})

#: labels that a kind's conversion renames before anything else looks at them
_FIELD_ALIASES: dict[tuple[str, str], dict[str, str]] = {
    ("", "Pod"): {"spec.host": "spec.nodeName"},  # old v1 clients
}


def _unsupported_field(group: str, kind: str, label: str) -> str:
    if (group, kind) in _PLAIN_CONVERSIONS:
        return f"field label not supported: {label}"
    if (group, kind) == ("batch", "Job"):
        return f"field label {_go_quote(label)} not supported for batchv1.Job"
    return (f"{_go_quote(label)} is not a known field selector: "
            f'only "metadata.name", "metadata.namespace"')


# -- field values (GetAttrs / ToSelectableFields per kind) --


def _go_string(value: Any) -> str:
    """A JSON scalar as upstream's field sets hold it (bools as ``true``/``false``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return ""


def _path_getter(path: str) -> FieldGetter:
    keys = tuple(path.split("."))
    if len(keys) == 1:
        (only,) = keys

        def top(obj: Mapping[str, Any]) -> str:
            return _go_string(obj.get(only))
        return top
    if len(keys) == 2:
        outer, inner = keys

        def nested(obj: Mapping[str, Any]) -> str:
            part = obj.get(outer)
            return _go_string(part.get(inner)) if isinstance(part, Mapping) else ""
        return nested

    def deep(obj: Mapping[str, Any]) -> str:
        current: Any = obj
        for key in keys:
            if not isinstance(current, Mapping):
                return ""
            current = current.get(key)
        return _go_string(current)
    return deep


def _metadata_name(obj: Mapping[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def _metadata_namespace(obj: Mapping[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("namespace") or ""


def _bool_getter(section: str, name: str) -> FieldGetter:
    """A bool field that upstream formats with ``strconv.FormatBool`` (unset is false)."""
    def flag(obj: Mapping[str, Any]) -> str:
        return "true" if (obj.get(section) or {}).get(name) is True else "false"
    return flag


def _count_getter(section: str, name: str) -> FieldGetter:
    """An int32 field that upstream formats with ``strconv.Itoa`` (unset is 0)."""
    def count(obj: Mapping[str, Any]) -> str:
        value = (obj.get(section) or {}).get(name)
        return str(int(value)) if isinstance(value, int | float) else "0"
    return count


def _pod_service_account(obj: Mapping[str, Any]) -> str:
    spec = obj.get("spec") or {}
    # v1 keeps the deprecated serviceAccount as an alias used when the new field is unset
    return spec.get("serviceAccountName") or spec.get("serviceAccount") or ""


def _pod_ip(obj: Mapping[str, Any]) -> str:
    status = obj.get("status") or {}
    # the internal pod keeps podIPs; v1 podIP wins over podIPs[0] when both are set
    ip = status.get("podIP")
    if ip:
        return str(ip)
    ips = status.get("podIPs") or ()
    return str((ips[0] or {}).get("ip") or "") if ips else ""


def _empty_field(_: Mapping[str, Any]) -> str:
    return ""


def _event_reference(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object an event is about, whichever of the two API shapes is stored."""
    ref = obj.get("involvedObject")
    if ref is None:
        ref = obj.get("regarding")
    return ref or {}


def _event_reporter(obj: Mapping[str, Any]) -> str:
    return obj.get("reportingComponent") or obj.get("reportingController") or ""


def _event_source(obj: Mapping[str, Any]) -> str:
    source = obj.get("source") or obj.get("deprecatedSource") or {}
    return source.get("component") or _event_reporter(obj)


def _reference_getter(name: str) -> FieldGetter:
    def reference(obj: Mapping[str, Any]) -> str:
        return _go_string(_event_reference(obj).get(name))
    return reference


_REFERENCE_FIELDS = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
                     "fieldPath")

_KIND_FIELDS: dict[tuple[str, str], dict[str, FieldGetter]] = {
    ("", "Pod"): {
        "spec.hostNetwork": _bool_getter("spec", "hostNetwork"),
        "spec.serviceAccountName": _pod_service_account,
        "status.podIP": _pod_ip,
        # accepted by the conversion but absent from the pod's field set: always ""
        "status.podIPs": _empty_field,
    },
    ("", "Node"): {"spec.unschedulable": _bool_getter("spec", "unschedulable")},
    ("apps", "ReplicaSet"): {"status.replicas": _count_getter("status", "replicas")},
    ("batch", "Job"): {"status.successful": _count_getter("status", "succeeded")},
    ("", "Event"): {
        **{f"involvedObject.{name}": _reference_getter(name) for name in _REFERENCE_FIELDS},
        "reportingComponent": _event_reporter,
        "source": _event_source,
    },
    ("events.k8s.io", "Event"): {
        **{f"regarding.{name}": _reference_getter(name) for name in _REFERENCE_FIELDS},
        "reportingController": _event_reporter,
        "source": _event_source,
    },
}


@lru_cache(maxsize=1024)
def _field_getter(group: str, kind: str, name: str) -> FieldGetter:
    if name == "metadata.name":
        return _metadata_name
    if name == "metadata.namespace":
        return _metadata_namespace
    special = _KIND_FIELDS.get((group, kind), {}).get(name)
    return special if special is not None else _path_getter(name)


def field_value(resource: ResourceLike, obj: Mapping[str, Any], name: str) -> str:
    """The value of field ``name`` of a stored object, as upstream's field set has it.

    ``spec.hostNetwork``/``spec.unschedulable`` read ``"true"``/``"false"``,
    ``status.replicas``/``status.successful`` read as decimal strings (0 when unset),
    an event's ``source`` is ``source.component`` or else the reporting controller,
    and a missing field reads as ``""``.
    """
    return _field_getter(resource.group, resource.kind, name)(obj)


def _compile_fields(requirements: tuple[FieldRequirement, ...],
                    getters: tuple[FieldGetter, ...]) -> ObjectMatcher:
    if not requirements:
        return _always
    checks = tuple((getter, r.value, r.operator == "=")
                   for getter, r in zip(getters, requirements, strict=True))
    if len(checks) == 1:
        getter, wanted, equal = checks[0]
        if equal:
            def one_equal(obj: Mapping[str, Any]) -> bool:
                return getter(obj) == wanted
            return one_equal

        def one_differs(obj: Mapping[str, Any]) -> bool:
            return getter(obj) != wanted
        return one_differs

    def all_hold(obj: Mapping[str, Any]) -> bool:
        for get, value, equal in checks:  # noqa: SIM110 - a plain loop beats all() here
            if (get(obj) == value) != equal:
                return False
        return True
    return all_hold


@dataclass(frozen=True)
class FieldSelector:
    """A parsed field selector for one kind: the AND of its requirements.

    Field names are the kind's canonical ones (``spec.host`` on pods reads as
    ``spec.nodeName``). ``matches`` takes a stored object (a JSON dict).
    """

    requirements: tuple[FieldRequirement, ...] = ()
    group: str = ""
    kind: str = ""
    #: true when the selector does not restrict anything (callers skip filtering)
    empty: bool = field(init=False, compare=False)
    _match: ObjectMatcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        getters = tuple(_field_getter(self.group, self.kind, r.field)
                        for r in self.requirements)
        object.__setattr__(self, "empty", not self.requirements)
        object.__setattr__(self, "_match", _compile_fields(self.requirements, getters))

    @classmethod
    def parse(cls, text: str, resource: ResourceLike) -> FieldSelector:
        """Parse ``text`` (``fields.ParseSelector``) and check its fields for ``resource``.

        Raises BadRequest with upstream's message: a syntax error first, else the first
        unsupported field in sorted term order.
        """
        return _parse_field_selector(text, resource.group, resource.kind,
                                     tuple(resource.selectable_fields))

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return self._match(obj)

    def exact(self, name: str) -> str | None:
        """The value ``name`` must equal (``RequiresExactMatch``), e.g. for an index."""
        for requirement in self.requirements:
            if requirement.field == name and requirement.operator == "=":
                return requirement.value
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


@lru_cache(maxsize=512)
def _parse_field_selector(text: str, group: str, kind: str,
                          selectable: tuple[str, ...]) -> FieldSelector:
    terms = sorted(_split_terms(text))
    parsed: list[FieldRequirement] = []
    for term in terms:
        if not term:
            continue
        split = _split_term(term)
        if split is None:
            raise BadRequest(f"invalid selector: '{text}'; can't understand '{term}'")
        name, operator, raw = split
        parsed.append(FieldRequirement(name, "!=" if operator == "!=" else "=",
                                       unescape_field_value(raw)))
    aliases = _FIELD_ALIASES.get((group, kind), {})
    requirements = []
    for requirement in parsed:
        name = aliases.get(requirement.field, requirement.field)
        if name not in selectable:
            raise BadRequest(_unsupported_field(group, kind, requirement.field))
        if name != requirement.field:
            requirement = FieldRequirement(name, requirement.operator, requirement.value)
        requirements.append(requirement)
    return FieldSelector(tuple(requirements), group, kind)
