"""The complete examples in docs/ run as written, and the docs' links lead somewhere.

A page marks a complete experiment file with an HTML comment naming it, right before its
code block::

    <!-- example: test_checkout_survives_a_zone.py -->
    ```python
    ...
    ```

Each such block is written to a file of that name and run by pytest in a child process,
with chaoszone's plugin, on the simulator, as a user would run it from experiments/.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = re.compile(r"<!-- example: (?P<name>test_\w+\.py) -->\n```python\n(?P<code>.*?)```",
                     re.DOTALL)


def examples() -> list[tuple[str, str, str]]:
    """(page, file name, code) of every marked example under docs/."""
    return [(page.name, m["name"], m["code"])
            for page in sorted((ROOT / "docs").glob("*.md"))
            for m in EXAMPLE.finditer(page.read_text())]


def test_the_writing_experiments_page_has_a_complete_example() -> None:
    assert [name for page, name, _ in examples() if page == "writing-experiments.md"]


@pytest.mark.parametrize(("page", "name", "code"), examples(),
                         ids=[f"{p}:{n}" for p, n, _ in examples()])
def test_a_documented_example_imports_only_the_public_api(page: str, name: str,
                                                           code: str) -> None:
    import chaoszone

    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chaoszone"):
            assert node.module == "chaoszone", f"{page}: {name} imports {node.module}"
            assert {a.name for a in node.names} <= set(chaoszone.__all__), (page, name)
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("chaoszone") for a in node.names), (page, name)


@pytest.mark.parametrize(("page", "name", "code"), examples(),
                         ids=[f"{p}:{n}" for p, n, _ in examples()])
def test_a_documented_example_passes_on_the_simulator(tmp_path: Path, page: str, name: str,
                                                      code: str) -> None:
    (tmp_path / name).write_text(code)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path / name), "-p", "chaoszone.pytest_plugin",
         "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider",
         f"--chaoszone-run-dir={tmp_path / 'run'}", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{page}: {name}\n{run.stdout}\n{run.stderr}"
    assert re.search(r"\b\d+ passed\b", run.stdout) and "failed" not in run.stdout


def test_every_relative_link_in_the_readme_and_the_docs_leads_to_a_file() -> None:
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for m in re.finditer(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            link = m.group(1)
            if not re.match(r"[a-z][a-z0-9+.-]*:", link) and not (page.parent / link).exists():
                broken.append(f"{page.relative_to(ROOT)}: ({link})")
    assert broken == [], "links to files that do not exist: " + ", ".join(broken)
