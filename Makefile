# Two commands do everything: `make demo` and `make test`. Each creates .venv when missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# one pytest worker per core; a module's tests stay on one worker (its fixtures are made once)
TEST_WORKERS ?= auto

.PHONY: demo test mutants lint format bench screenshots clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "emostream needs Python >= 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the declared dependencies change.
# The package's bytecode and its compiled feature loops (numba) are made once here, then
# loaded from their caches, also where PYTHONDONTWRITEBYTECODE is set (as in many containers).
WARM_UP := $(BIN)/python -m compileall -q emostream && \
	$(BIN)/python -c 'from emostream.features import kernels; kernels.warm_up()'

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@echo "compiling the package and its feature loops (once)"; $(WARM_UP)
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,voice]'
	@echo "compiling the package and its feature loops (once)"; $(WARM_UP)
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/emostream demo

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# Deliberate bugs (tests/mutants.toml), each applied in a temporary copy: reports those the
# tests miss. Not part of `make test`.
mutants: $(VENV)/.installed-test
	$(BIN)/python tests/mutants.py

# The README's pictures of the dashboard and of a session report (needs Chromium).
screenshots: $(VENV)/.installed-test
	$(BIN)/python docs/make_screenshots.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
