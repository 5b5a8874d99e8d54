"""Command-line parsing for the stand-ins: cobra/pflag's forms (``--flag value``,
``--flag=value``, ``-f value``, boolean flags, ``--`` ends flags), and a loud refusal of
anything outside the supported subset, so a new call in chaoszone fails instead of
silently passing."""

from __future__ import annotations

from dataclasses import dataclass, field

from standin_state import StandinError

__all__ = ["Flag", "Parsed", "parse", "unsupported"]


@dataclass(frozen=True)
class Flag:
    """One flag: its names (``--name``, ``-n``), whether it takes a value, and whether it
    may be repeated (values then collect in a list)."""

    names: tuple[str, ...]
    value: bool = True
    repeated: bool = False

    @property
    def key(self) -> str:
        return self.names[0].lstrip("-").replace("-", "_")


@dataclass
class Parsed:
    options: dict[str, object] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def text(self, key: str) -> str | None:
        value = self.options.get(key)
        return value if isinstance(value, str) else None

    def texts(self, key: str) -> list[str]:
        value = self.options.get(key)
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def flag(self, key: str) -> bool:
        return self.options.get(key) is True


def unsupported(tool: str, what: str, subset: str) -> StandinError:
    return StandinError(
        f"chaoszone stand-in {tool}: {what} is not supported. The stand-in {tool} "
        f"(tests/standins/bin/{tool}) answers only this subset of the real command line:\n"
        f"{subset}\nIf chaoszone needs more, extend tests/standins/standin_{tool}.py and "
        f"docs/targets-testing.md.")


def parse(tool: str, command: str, argv: list[str], flags: list[Flag], subset: str, *,
          interspersed: bool = True) -> Parsed:
    """Parse ``argv`` of ``command``; ``interspersed=False`` stops at the first argument
    (``docker exec NAME cmd -flags...``)."""
    by_name = {name: spec for spec in flags for name in spec.names}
    parsed = Parsed()
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            parsed.args.extend(argv[i:])
            break
        if not arg.startswith("-") or arg == "-":
            parsed.args.append(arg)
            if not interspersed:
                parsed.args.extend(argv[i:])
                break
            continue
        name, eq, inline = arg.partition("=")
        spec = by_name.get(name)
        if spec is None:
            raise unsupported(tool, f"flag {name} of `{tool} {command}`", subset)
        if spec.value:
            if eq:
                value = inline
            elif i < len(argv):
                value, i = argv[i], i + 1
            else:
                raise StandinError(f"flag needs an argument: {name}")
            if spec.repeated:
                listed = parsed.options.setdefault(spec.key, [])
                assert isinstance(listed, list)
                listed.append(value)
            else:
                parsed.options[spec.key] = value
        else:
            if eq and inline not in ("true", "false"):
                raise StandinError(f'invalid argument "{inline}" for "{name}" flag')
            parsed.options[spec.key] = not eq or inline == "true"
    return parsed
