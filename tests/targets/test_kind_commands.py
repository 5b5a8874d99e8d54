"""Running kind and docker: what commands.run returns, streams, and refuses."""

from __future__ import annotations

import sys

import pytest

from chaoszone.errors import TargetError
from chaoszone.targets.commands import run

PY = sys.executable


def test_a_command_returns_its_exit_code_and_both_outputs_without_raising() -> None:
    done = run([PY, "-c", "import sys; print('out'); print('err', file=sys.stderr); "
                          "sys.exit(3)"])
    assert (done.returncode, done.stdout, done.stderr, done.ok) == (3, "out\n", "err\n", False)
    assert done.failure().endswith("exited 3: err")


def test_stdin_is_fed_and_stderr_lines_stream_while_the_command_runs() -> None:
    lines: list[str] = []
    done = run([PY, "-c", "import sys\nfor l in sys.stdin: print(l.strip().upper(), "
                          "file=sys.stderr, flush=True)"],
               input="creating\n\njoining\n", on_line=lines.append)
    assert done.ok
    assert lines == ["CREATING", "JOINING"]


def test_a_command_past_its_timeout_is_killed_and_reported() -> None:
    with pytest.raises(TargetError, match=r"did not finish within 0\.5 s and was killed; "
                                          r"last output: waiting"):
        run([PY, "-c", "import sys, time; print('waiting', file=sys.stderr, flush=True); "
                       "time.sleep(60)"], timeout=0.5)


def test_a_missing_executable_is_a_target_error() -> None:
    with pytest.raises(TargetError, match="cannot run `/nonexistent/kind get clusters`"):
        run(["/nonexistent/kind", "get", "clusters"])
