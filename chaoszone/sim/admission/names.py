"""Name and string-format rules, with upstream's regular expressions and messages.

Owns: DNS-1123 labels and subdomains, DNS-1035 labels, path-segment names (RBAC),
qualified names (label and annotation keys), label values, ConfigMap keys, port names and
numbers, percentages, environment variable names, IP addresses, the per-kind rule for
``metadata.name`` and ``metadata.generateName``, and ``generateName`` itself.

Upstream (release-1.32):
staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go,
staging/src/k8s.io/apimachinery/pkg/api/validation/{generic.go,objectmeta.go},
staging/src/k8s.io/apimachinery/pkg/api/validation/path/name.go,
staging/src/k8s.io/apiserver/pkg/storage/names/generate.go,
pkg/apis/*/validation/validation.go (which name function each kind uses).
"""

from __future__ import annotations

import functools
import ipaddress
import random
import re
from collections.abc import Callable

from chaoszone.sim.resources import ResourceType

__all__ = [
    "NameFn",
    "generate_name",
    "inclusive_range_error",
    "is_config_map_key",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_env_var_name",
    "is_qualified_name",
    "is_valid_ip",
    "is_valid_label_value",
    "is_valid_path_segment_name",
    "is_valid_path_segment_prefix",
    "is_valid_percent",
    "is_valid_port_name",
    "is_valid_port_num",
    "max_len_error",
    "name_is_dns1035_label",
    "name_is_dns_label",
    "name_is_dns_subdomain",
    "name_is_path_segment",
    "name_rule",
    "regex_error",
]

#: (name, is_prefix) -> messages; ``is_prefix`` is true for ``generateName``
NameFn = Callable[[str, bool], list[str]]


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def empty_error() -> str:
    return "must be non-empty"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """``validation.RegexError``, down to its double space before ``or``."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    out = msg + " (e.g. "
    for i, example in enumerate(examples):
        if i > 0:
            out += " or "
        out += f"'{example}', "
    return out + f"regex used for validation is '{fmt}')"


def _full(fmt: str) -> re.Pattern[str]:
    return re.compile("^" + fmt + r"\Z")


# -- DNS names ------------------------------------------------------------------------------------

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_ERR = ("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                     "characters or '-', and must start and end with an alphanumeric character")
DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1123_SUBDOMAIN_ERR = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                         "characters, '-' or '.', and must start and end with an alphanumeric "
                         "character")
DNS1123_SUBDOMAIN_MAX = 253
DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
DNS1035_LABEL_ERR = ("a DNS-1035 label must consist of lower case alphanumeric characters or "
                     "'-', start with an alphabetic character, and end with an alphanumeric "
                     "character")
DNS1035_LABEL_MAX = 63

_DNS1123_LABEL = _full(DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN = _full(DNS1123_SUBDOMAIN_FMT)
_DNS1035_LABEL = _full(DNS1035_LABEL_FMT)


#: how many valid strings each format check remembers
_REMEMBERED = 16_384


def _remember_valid(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """``check``, answering at once for a string it found valid before: every write checks
    the same few label keys, label values and names again."""
    valid: set[str] = set()

    @functools.wraps(check)
    def remembering(value: str) -> list[str]:
        if value in valid:
            return []
        errs = check(value)
        if not errs and len(valid) < _REMEMBERED:
            valid.add(value)
        return errs

    return remembering


@_remember_valid
def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _DNS1123_LABEL.match(value):
        if _DNS1123_SUBDOMAIN.match(value):
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


@_remember_valid
def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1035_LABEL_MAX:
        errs.append(max_len_error(DNS1035_LABEL_MAX))
    if not _DNS1035_LABEL.match(value):
        errs.append(regex_error(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


# -- qualified names and label values -------------------------------------------------------------

QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
QUALIFIED_NAME_ERR = ("must consist of alphanumeric characters, '-', '_' or '.', and must start "
                      "and end with an alphanumeric character")
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
LABEL_VALUE_ERR = ("a valid label must be an empty string or consist of alphanumeric characters, "
                   "'-', '_' or '.', and must start and end with an alphanumeric character")
LABEL_VALUE_MAX = 63

_QUALIFIED_NAME = _full(QUALIFIED_NAME_FMT)
_LABEL_VALUE = _full(LABEL_VALUE_FMT)


@_remember_valid
def is_qualified_name(value: str) -> list[str]:
    """``IsQualifiedName``: an optional DNS-subdomain prefix, ``/``, and a 63-char name."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return ["a qualified name " + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT,
                                                  "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part " + empty_error())
    elif len(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if not _QUALIFIED_NAME.match(name):
        errs.append("name part " + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT,
                                               "MyName", "my.name", "123-abc"))
    return errs


@_remember_valid
def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > LABEL_VALUE_MAX:
        errs.append(max_len_error(LABEL_VALUE_MAX))
    if not _LABEL_VALUE.match(value):
        errs.append(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


# -- path segments (RBAC and the generic create check) --------------------------------------------

_NAME_MAY_NOT_BE = (".", "..")
_NAME_MAY_NOT_CONTAIN = ("/", "%")


def is_valid_path_segment_name(name: str) -> list[str]:
    for illegal in _NAME_MAY_NOT_BE:
        if name == illegal:
            return [f"may not be '{illegal}'"]
    return is_valid_path_segment_prefix(name)


def is_valid_path_segment_prefix(name: str) -> list[str]:
    return [f"may not contain '{bad}'" for bad in _NAME_MAY_NOT_CONTAIN if bad in name]


# -- other formats --------------------------------------------------------------------------------

CONFIG_MAP_KEY_FMT = "[-._a-zA-Z0-9]+"
CONFIG_MAP_KEY_ERR = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
_CONFIG_MAP_KEY = _full(CONFIG_MAP_KEY_FMT)


def _has_chdir_prefix(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def is_config_map_key(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _CONFIG_MAP_KEY.match(value):
        errs.append(regex_error(CONFIG_MAP_KEY_ERR, CONFIG_MAP_KEY_FMT,
                                "key.name", "KEY_NAME", "key-name"))
    return errs + _has_chdir_prefix(value)


_PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+\Z")
_PORT_NAME_LETTER = re.compile(r"[a-z]")


def is_valid_port_name(port: str) -> list[str]:
    errs = []
    if len(port) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARSET.match(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_port_num(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [inclusive_range_error(1, 65535)]


PERCENT_FMT = "[0-9]+%"
_PERCENT = _full(PERCENT_FMT)


def is_valid_percent(value: str) -> list[str]:
    if _PERCENT.match(value):
        return []
    return [regex_error("a valid percent string must be a numeric string followed by an ending "
                        "'%'", PERCENT_FMT, "1%", "93%")]


ENV_VAR_NAME_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*"
_ENV_VAR_NAME = _full(ENV_VAR_NAME_FMT)


def is_env_var_name(value: str) -> list[str]:
    """``IsEnvVarName`` (the strict rule; RelaxedEnvironmentVariableValidation is off in 1.32)."""
    errs = []
    if not _ENV_VAR_NAME.match(value):
        errs.append(regex_error(
            "a valid environment variable name must consist of alphabetic characters, digits, "
            "'_', '-', or '.', and must not start with a digit", ENV_VAR_NAME_FMT,
            "my.env-name", "MY_ENV.NAME", "MyEnvName1"))
    return errs + _has_chdir_prefix(value)


def is_valid_ip(value: str) -> list[str]:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    return []


# -- metadata.name per kind -----------------------------------------------------------------------

def _mask_trailing_dash(name: str) -> str:
    """``maskTrailingDash``: upstream drops two characters and appends ``a``."""
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_is_dns_subdomain(name: str, prefix: bool) -> list[str]:
    return is_dns1123_subdomain(_mask_trailing_dash(name) if prefix else name)


def name_is_dns_label(name: str, prefix: bool) -> list[str]:
    return is_dns1123_label(_mask_trailing_dash(name) if prefix else name)


def name_is_dns1035_label(name: str, prefix: bool) -> list[str]:
    return is_dns1035_label(_mask_trailing_dash(name) if prefix else name)


def name_is_path_segment(name: str, prefix: bool) -> list[str]:
    return is_valid_path_segment_prefix(name) if prefix else is_valid_path_segment_name(name)


#: kinds whose name is not a DNS-1123 subdomain; key: (group, kind)
_NAME_RULES: dict[tuple[str, str], NameFn] = {
    ("", "Namespace"): name_is_dns_label,
    ("", "Service"): name_is_dns1035_label,
    ("apps", "StatefulSet"): name_is_dns_label,
    ("rbac.authorization.k8s.io", "Role"): name_is_path_segment,
    ("rbac.authorization.k8s.io", "ClusterRole"): name_is_path_segment,
    ("rbac.authorization.k8s.io", "RoleBinding"): name_is_path_segment,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): name_is_path_segment,
    # core/v1 Events get only the generic path-segment check (ValidateEventCreate)
    ("", "Event"): name_is_path_segment,
}


def name_rule(resource: ResourceType) -> NameFn:
    """The ``ValidateNameFunc`` the kind's strategy passes to ``ValidateObjectMeta``."""
    return _NAME_RULES.get((resource.group, resource.kind), name_is_dns_subdomain)


# -- generateName ---------------------------------------------------------------------------------

_RANDOM_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand
_MAX_NAME_LENGTH = 63
_RANDOM_LENGTH = 5


def generate_name(base: str, rng: random.Random | None = None) -> str:
    """``names.SimpleNameGenerator.GenerateName``: cut the prefix to 58, add 5 characters."""
    r = rng or random
    if len(base) > _MAX_NAME_LENGTH - _RANDOM_LENGTH:
        base = base[: _MAX_NAME_LENGTH - _RANDOM_LENGTH]
    return base + "".join(r.choice(_RANDOM_ALPHABET) for _ in range(_RANDOM_LENGTH))
