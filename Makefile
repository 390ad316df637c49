# Explainable ML, the course — two commands: `make lab` and `make test`.
# Everything installs into .venv (created if missing); a second run only re-installs when
# requirements.txt or pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
KERNEL := xai-course

.PHONY: lab test install student benchmark clean help html test-browser layers

help:
	@echo "make lab        install (first time) and open JupyterLab on notebooks/index.ipynb"
	@echo "make test       install (first time), then ruff, unit tests, every notebook (nbval) and the doctests"
	@echo "make student    build/student/: the student release (nbgrader generate_assignment: no solutions, no hidden tests, checksums)"
	@echo "make benchmark  time every notebook (wall time and peak memory)"
	@echo "make html       build/html/: the course site, built by Jupyter Book 2 from the executed notebooks (needs Node.js)"
	@echo "make layers     redraw the layer diagram of xai_helpers in CONTRIBUTING.md from the import graph"
	@echo "make test-browser  every notebook in JupyterLab in headless chromium: Run All, no errors, every slider moves its figure"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --user --name $(KERNEL) --display-name "Python (xai-course)" > /dev/null
	@touch $(STAMP)

install: $(STAMP)

lab: install
	$(VENV)/bin/jupyter lab notebooks/index.ipynb

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest --doctest-modules xai_helpers -p no:cacheprovider
	$(VENV)/bin/pytest tests notebooks --nbval-lax --nbval-cell-timeout=120 -p no:cacheprovider

student: install
	$(PY) tools/homework.py release build/student

benchmark: install
	$(PY) benchmarks/run_notebooks.py

clean:
	rm -rf build _build .pytest_cache .ruff_cache

html: install
	$(PY) tools/build_site.py

test-browser: install
	$(PY) tests/browser/run_browser_tests.py

layers: install
	$(PY) tools/layers_diagram.py
