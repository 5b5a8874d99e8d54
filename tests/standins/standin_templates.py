"""The part of Go's text/template that ``docker --format`` needs here: literal text and
actions ``{{.Field.Path}}``, ``{{.Label "key"}}`` (``docker ps``,
docker/cli cli/command/formatter/container.go ``Label``) and ``{{json .Path}}``
(docker/cli templates/templates.go basicFunctions). Anything else is refused."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["TemplateError", "render"]

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_PATH = re.compile(r"^(\.[A-Za-z_][A-Za-z0-9_]*)+$|^\.$")
_LABEL = re.compile(r'^\.Label\s+"([^"]*)"$')
_JSON = re.compile(r"^json\s+(\S+)$")


class TemplateError(Exception):
    pass


def _lookup(obj: Any, path: str) -> Any:
    if path == ".":
        return obj
    value = obj
    for part in path.split(".")[1:]:
        if not isinstance(value, dict) or part not in value:
            raise TemplateError(f"can't evaluate field {part} (path {path})")
        value = value[part]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise TemplateError("printing maps or lists needs {{json ...}}")


def render(template: str, obj: dict[str, Any]) -> str:
    """``template`` applied to ``obj`` (docker's inspect/ps data as JSON-like dicts)."""
    out: list[str] = []
    pos = 0
    for match in _ACTION.finditer(template):
        out.append(template[pos:match.start()])
        pos = match.end()
        action = match.group(1)
        if (label := _LABEL.match(action)) is not None:
            out.append(str((obj.get("Labels") or {}).get(label.group(1), "")))
        elif (as_json := _JSON.match(action)) is not None and _PATH.match(as_json.group(1)):
            out.append(json.dumps(_lookup(obj, as_json.group(1)), separators=(",", ":")))
        elif _PATH.match(action):
            out.append(_text(_lookup(obj, action)))
        else:
            raise TemplateError(f"the action {{{{{action}}}}}")
    out.append(template[pos:])
    return "".join(out)
