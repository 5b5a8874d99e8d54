"""The repair image's Dockerfile, checked as far as a machine without a Docker engine can.

The nightly workflow builds ``chaoszone/images/repair/Dockerfile`` with the repository root
as its build context. Here there is no Docker, so these tests read the Dockerfile and its
ignore file (``Dockerfile.dockerignore``, which BuildKit reads for ``-f <Dockerfile>``
before ``<context>/.dockerignore``), assemble the context docker would send, and run the
image's entrypoint module from that context alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "chaoszone" / "images" / "repair" / "Dockerfile"
IGNORE_FILE = DOCKERFILE.with_name(DOCKERFILE.name + ".dockerignore")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, comments dropped and continuation lines joined."""
    out: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        out.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    return out


def only(keyword: str) -> list[str]:
    return [i.arguments for i in instructions(DOCKERFILE.read_text()) if i.keyword == keyword]


# -- the .dockerignore rules (docker's pattern syntax: *, ?, **, and ! to re-include) ------

def _pattern(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes, pattern) pairs in file order; the last one matching a path decides."""
    rules = []
    for raw in IGNORE_FILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        body = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((not negated, _pattern(body)))
    return rules


def excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether docker leaves ``path`` (relative to the context) out: a rule matching the
    path or any of its parent directories applies, and the last such rule wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    verdict = False
    for excludes, pattern in rules:
        if any(pattern.match(p) for p in prefixes):
            verdict = excludes
    return verdict


def context_files() -> Iterator[str]:
    """The files of the build context docker would send (paths relative to the root)."""
    rules = ignore_rules()
    may_reinclude = [p for ex, p in rules if not ex]
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel_dir = os.path.relpath(dirpath, ROOT)
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        # prune a directory that is excluded unless a "!" rule could bring part of it back
        dirnames[:] = [d for d in dirnames if not excluded(rel_dir + d, rules)
                       or any(p.pattern.startswith(re.escape(rel_dir + d)) for p in may_reinclude)]
        for name in filenames:
            if not excluded(rel_dir + name, rules):
                yield rel_dir + name


@pytest.fixture(scope="module")
def build_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of exactly what docker would send as the build context."""
    context = tmp_path_factory.mktemp("repair-image-context")
    for rel in context_files():
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, context / rel)
    return context


# -- tests -----------------------------------------------------------------------------------

def test_the_base_image_is_python_pinned_by_its_full_version_tag() -> None:
    (base,) = only("FROM")
    image, _, tag = base.partition(":")
    assert image in ("python", "docker.io/library/python"), base
    assert re.fullmatch(r"\d+\.\d+\.\d+-slim(-[a-z]+)?", tag), (
        f"pin the base image by a full version tag (python:3.11.N-slim-DEBIAN), not {base!r}")
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert tag.split("-")[0] in SpecifierSet(requires), (
        f"the image's Python {tag} does not satisfy requires-python {requires}")


def test_every_copy_source_exists_and_is_in_the_build_context(build_context: Path) -> None:
    copies = only("COPY")
    assert copies, "the Dockerfile copies nothing of the project"
    rules = ignore_rules()
    for copy in copies:
        assert not copy.startswith("["), "use the plain COPY SRC... DEST form"
        *sources, _dest = copy.split()
        assert sources, copy
        for source in sources:
            assert not source.startswith("--"), f"{copy}: no COPY flags expected"
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            assert not excluded(source, rules), (
                f"COPY {source}: {IGNORE_FILE.name} leaves it out of the build context")
            assert (build_context / source).exists()


def test_the_files_the_install_reads_are_copied() -> None:
    sources = {s for copy in only("COPY") for s in copy.split()[:-1]}
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["readme"]
    assert {"pyproject.toml", readme, "chaoszone"} <= sources
    assert any(re.search(r"\bpip install\b", run) for run in only("RUN")), (
        "the image must install the project (pip install) so its dependencies come along")


def test_the_build_context_leaves_out_the_venv_caches_and_bytecode(build_context: Path) -> None:
    sent = {p.relative_to(build_context).as_posix() for p in build_context.rglob("*")}
    assert not any(s.startswith((".venv", ".git/", "runs/", "tests/")) for s in sent)
    assert not any("__pycache__" in s or s.endswith(".pyc") for s in sent)
    assert "chaoszone/repair.py" in sent
    assert "chaoszone/sim/schema/k8s-1.32.json.gz" in sent  # package data the install needs


def test_the_image_runs_as_a_numeric_non_root_user() -> None:
    (user,) = only("USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, (
        f"USER {user}: use a numeric non-root uid so that runAsNonRoot can be verified")


def test_the_entrypoint_module_runs_from_the_build_context_alone(build_context: Path) -> None:
    (entrypoint,) = only("ENTRYPOINT")
    argv = json.loads(entrypoint)  # the exec form, so the Job's args reach python unchanged
    assert argv[:2] == ["python", "-m"] and len(argv) == 3, argv
    module = argv[2]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [sys.executable, "-c", f"import {module}; print({module}.__file__)"],
        cwd=build_context, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert Path(where.stdout.strip()).is_relative_to(build_context), where.stdout
    run = subprocess.run([sys.executable, "-m", module, "--help"], cwd=build_context, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "usage: chaoszone.repair" in run.stdout and "--taint-key" in run.stdout
