# The course's commands. `make book` and `make test` work on a fresh clone with nothing but
# Python 3.11+ (and, for the math and browser checks, npm and Debian's chromium, which these
# targets install when they can).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MATHJAX_VERSION := 3.2.2
MATHJAX := .mathjax/_static/mathjax/tex-mml-chtml.js
JOBS ?= 2

# Kernels inherit the environment: MPLBACKEND=Agg there makes inline figures vanish.
unexport MPLBACKEND
# One BLAS/torch thread per kernel, for the tests (two workers on two cores would fight) and
# for the book build too: the course's matrices are small, and on a busy machine a
# multi-threaded BLAS spinning on them took 196 s for a page that needs about 20 s. It is the
# setting the notebook budgets (120 s each) are measured in. A GPU, when present, is used
# regardless. Override, e.g. `make book RUN_ENV=`, to let BLAS take every core.
RUN_ENV ?= OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYDEVD_DISABLE_FILE_VALIDATION=1

.PHONY: help book test lab clean mathjax chromium fonts venv bench lint exercises handout times notebooks dist catalogues

help:
	@echo "make book      build the HTML book (every notebook executed) -> _build/html/index.html,"
	@echo "               and its Chinese edition from the same run -> _build/html/zh_CN/index.html"
	@echo "make catalogues refresh the Chinese edition's catalogues locales/zh_CN/ from the English"
	@echo "make test      run every test: package, notebooks (nbval), HTML build, browser"
	@echo "make lab       open JupyterLab; the .md notebooks open as notebooks"
	@echo "make bench     run the benchmarks (JSON under benchmarks/results/)"
	@echo "make exercises regenerate the student notebooks exercises/ from solutions/"
	@echo "make notebooks every page and exercise as a standalone .ipynb -> _build/notebooks/ (Colab, downloads)"
	@echo "make handout   zip the student notebooks (.md and .ipynb) -> _build/rnn-exercises.zip"
	@echo "make times     per-notebook run times of the last make test, against the 120 s budget"
	@echo "make dist      the package rnn-course as sdist and wheel -> _build/dist/, checked by twine"
	@echo "make lint      ruff over the package and tests, mypy over the package, actionlint over the workflows; part of make test"
	@echo "make clean     remove builds and caches (keeps .venv; 'make clean-all' removes it)"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "error: this course needs Python 3.11 or newer (the pinned numpy 2.4 does); found: $$($(PYTHON) --version 2>&1 || echo 'no $(PYTHON)')."; \
	  echo "       Install one and run e.g. 'make PYTHON=python3.12 $(MAKECMDGOALS)'."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "error: could not create $(VENV) (on Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# the package was called "companion" before it became rnn-course: drop that old install
	$(BIN)/python -m pip uninstall --quiet -y companion 2>/dev/null || true
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# MathJax served from the book itself, so formulas typeset with no network.
mathjax: $(MATHJAX)

$(MATHJAX):
	@if ! command -v npm >/dev/null; then \
	  echo "warning: npm not found, so MathJax cannot be installed locally: the book will load it"; \
	  echo "         from a CDN and show raw TeX offline. Install Node.js/npm and run 'make mathjax'."; \
	else \
	  tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && tar xzf mathjax-$(MATHJAX_VERSION).tgz) && \
	  rm -rf .mathjax && mkdir -p .mathjax/_static && mv $$tmp/package/es5 .mathjax/_static/mathjax && rm -rf $$tmp && \
	  echo "MathJax $(MATHJAX_VERSION) installed in .mathjax/"; \
	fi

# A CJK font, so that the browser test's screenshots of the Chinese edition show Chinese.
fonts:
	@if fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's fonts-noto-cjk for the Chinese edition's screenshots"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	else \
	  echo "warning: no Chinese font found: the screenshots of the Chinese edition will show"; \
	  echo "         boxes ('sudo apt-get install fonts-noto-cjk' on Debian/Ubuntu)."; \
	fi

# Debian's Chromium for the browser test.
chromium:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "error: the browser test needs Chromium: 'sudo apt-get install chromium' (Debian/Ubuntu),"; \
	  echo "       or set CHROMIUM=/path/to/chromium."; exit 1; \
	fi

# The English book executes the notebooks, $(JOBS) at a time (jupyter-cache keeps their
# outputs); the Chinese edition is built from the same sources and the catalogues, taking every
# output from that cache: no notebook runs twice.
book: $(STAMP) mathjax
	$(RUN_ENV) $(BIN)/python book/_ext/build_book.py . _build/html --jobs $(JOBS)
	$(RUN_ENV) $(BIN)/python book/_ext/build_book.py . _build/html/zh_CN --language zh_CN --jobs $(JOBS)
	@echo "The book: file://$(CURDIR)/_build/html/index.html"
	@echo "中文版:   file://$(CURDIR)/_build/html/zh_CN/index.html"

# After changing English prose: new and changed messages appear untranslated or fuzzy in
# locales/zh_CN/LC_MESSAGES/<page>.po (the tests fail until they are translated).
catalogues: $(STAMP)
	$(RUN_ENV) $(BIN)/python book/_ext/translations.py update

# Phase 1: package tests and every notebook (nbval), two workers, one notebook per worker at a
# time. Phase 2: the HTML book built from the notebooks phase 1 executed, then a browser.
test: $(STAMP) mathjax chromium fonts lint notebooks
	rm -rf _build/executed
	$(RUN_ENV) $(BIN)/python -m pytest -n $(JOBS) --dist loadfile -m "not html" \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=300 --nbval-kernel-startup-timeout=180 --durations=15 \
	  --junitxml=_build/test-report.xml
	$(RUN_ENV) $(BIN)/python -m pytest -m html tests/test_book_html.py

# JupyterLab on the repository root, with the settings Binder uses (binder/overrides.json):
# .md pages open as notebooks (jupytext), no news pop-up. jupyterlab-myst renders the MyST.
lab: $(STAMP)
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	cp binder/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

times: $(STAMP)
	$(BIN)/python benchmarks/notebook_times.py _build/test-report.xml

exercises: $(STAMP)
	$(BIN)/python -m companion.exercises

# Standalone notebooks (a setup cell that installs the package, MyST turned into Markdown that
# plain Jupyter renders): what the Colab buttons open, from the branch the workflow publishes.
notebooks: $(STAMP)
	rm -rf _build/notebooks
	$(BIN)/python book/_ext/standalone_notebooks.py _build/notebooks

# The student pack: the exercise notebooks as MyST Markdown and as standalone .ipynb (they
# install the package when it is missing and render in plain Jupyter), with their README.
handout: exercises notebooks
	rm -rf _build/handout _build/rnn-exercises.zip && mkdir -p _build/handout/rnn-exercises
	cp exercises/*.md _build/notebooks/exercises/*.ipynb _build/handout/rnn-exercises/
	cd _build/handout && $(CURDIR)/$(BIN)/python -m zipfile -c ../rnn-exercises.zip rnn-exercises
	@echo "The student pack: $(CURDIR)/_build/rnn-exercises.zip"

# The package alone (distribution rnn-course, import name companion): sdist and wheel, built
# offline with the backend pinned in requirements.txt (--no-isolation), the wheel from the sdist.
DIST_DIR ?= _build/dist
dist: $(STAMP)
	@mkdir -p $(DIST_DIR) && rm -f $(DIST_DIR)/*.whl $(DIST_DIR)/*.tar.gz
	$(BIN)/python -m build --no-isolation --outdir $(DIST_DIR) .
	$(BIN)/twine check --strict $(DIST_DIR)/*

# actionlint from its wheel, which ships the binary; shellcheck and pyflakes are left out so
# that the result does not depend on what else a machine has installed.
ACTIONLINT_FLAGS := -shellcheck= -pyflakes=
lint: $(STAMP)
	$(BIN)/ruff check companion tests benchmarks conftest.py book/_ext
	$(BIN)/ruff format --check companion tests benchmarks conftest.py book/_ext
	$(BIN)/mypy
	$(BIN)/actionlint $(ACTIONLINT_FLAGS) .github/workflows/*.yml

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache .mypy_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
	find . -name '*.ipynb' -not -path './$(VENV)/*' -delete

clean-all: clean
	rm -rf $(VENV) .mathjax *.egg-info
