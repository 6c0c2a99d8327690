# The two commands a new user runs (see README.md): `make demo` and `make test`.
# Both create .venv when it is missing and install evalkit with pinned versions from
# constraints.txt; nothing relies on what happens to be installed on the machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.evalkit-installed
PYTEST_ARGS ?= -n auto --dist loadfile
# The notebooks are also run as a user runs them, top to bottom (nbval), in this environment's
# Python; a notebook's cells stay together on one test worker (--dist loadfile).
NBVAL_ARGS := --nbval-lax --nbval-current-env --nbval-kernel-startup-timeout=180 \
              --ignore=tests/notebooks
# make fuzz: seconds of fuzzing per target (the readers); an ordinary test run takes a short,
# seeded slice of the same tests.
FUZZ_SECONDS ?= 120

# The constraints also pin the build backend used by pip's isolated build.
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install test fuzz demo lab lint benchmark constraints clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "evalkit needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,dask]"
	# An editable install leaves evalkit's modules uncompiled, and where bytecode is not written
	# (PYTHONDONTWRITEBYTECODE, as container images often set) every process compiled them
	# again: 0.3 s of each command's start.
	$(BIN)/python -m compileall -q src/evalkit
	$(BIN)/python -m evalkit kernel install --quiet
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS) --dist loadfile $(NBVAL_ARGS) tests src/evalkit notebooks

fuzz: $(STAMP)
	EVALKIT_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest $(PYTEST_ARGS) -m fuzz tests

demo: $(STAMP)
	$(BIN)/evalkit demo

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

# make benchmark BENCH="speed mixed": the named benchmarks only (all by default; hours at full size).
benchmark: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH)

# Regenerate constraints.txt from a clean environment (maintainers only).
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	PIP_CONSTRAINT= .venv-constraints/bin/python -m pip install --quiet --upgrade pip
	PIP_CONSTRAINT= .venv-constraints/bin/python -m pip install --quiet ".[test,dask]" hatchling
	.venv-constraints/bin/python -m pip freeze --all --exclude evalkit | LC_ALL=C sort -f > constraints.txt
	rm -rf .venv-constraints

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
	find src -name __pycache__ -type d -prune -exec rm -rf {} +
