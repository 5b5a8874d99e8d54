# `make test` and `make experiments` each build .venv from pyproject.toml when it is
# missing or older than pyproject.toml, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test experiments lint typecheck imports workflows unit fidelity bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test: lint typecheck imports workflows unit fidelity

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# Every workflow under .github/workflows (actionlint finds them itself, .yml and .yaml),
# with the shell of their run: steps checked by the venv's shellcheck (given by path, not
# looked up on PATH, so the check never silently drops); no step runs Python
# (`shell: python`), so the pyflakes integration is off on purpose.
workflows: $(STAMP)
	$(BIN)/actionlint -shellcheck $(BIN)/shellcheck -pyflakes=

unit: $(STAMP)
	$(BIN)/pytest -n 2 tests

# the cases of ../shared/fidelity against the simulator's scheduler, admission and API code
fidelity: $(STAMP)
	$(BIN)/python -m chaoszone.sim.fidelity ../shared/fidelity/*.yaml

experiments: $(STAMP)
	$(BIN)/pytest experiments

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
