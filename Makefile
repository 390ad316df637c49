# Explainable ML, the course — two commands: `make lab` and `make test`.
# Everything installs into .venv (created if missing); a second run only re-installs when
# requirements.txt or pyproject.toml changed. The installer is uv (pinned below): from its cache it fills a fresh
# venv in ~10 s where pip takes ~100 s (torch's CUDA build unpacks to ~4 GB). Both byte-compile at install
# (uv: --compile-bytecode, ~30 s on two cores): where Python may not write bytecode (PYTHONDONTWRITEBYTECODE,
# a read-only venv) every kernel and test process would otherwise compile torch, scikit-learn and matplotlib
# again, ~6 s of CPU each. Where uv cannot reach an index (it reads UV_INDEX_URL, not pip.conf), pip installs
# the same pinned requirements instead.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
KERNEL := xai-course
UV     := uv==0.13.9

.PHONY: lab test lint install student publish benchmark budget seeds bench-sliders bench-attribution bench-autograde \
        monsters-seeds repro-lost-reply clean help html test-browser layers test-slow

help:
	@echo "make lab        install (first time) and open JupyterLab on notebooks/index.ipynb"
	@echo "make test       install (first time), then make lint, and the doctests, unit tests and every notebook (nbval) on 2 workers"
	@echo "make test-slow  the tests too slow for make test: retraining mnist_cnn within its recorded tolerance, and the recipes of the notebooks' precomputed tables (photos, prior runs, lighting band)"
	@echo "make lint       ruff on the code and notebooks, actionlint on .github/workflows"
	@echo "make student    build/student/: the student release (nbgrader generate_assignment: no solutions, no hidden tests, checksums)"
	@echo "make publish    check build/student and commit it as the whole content of the student branch (CI pushes it)"
	@echo "make benchmark  run every notebook (papermill): wall time, peak memory, slowest cells"
	@echo "make seeds      run every notebook with SEED = 0, 1, 2, 3 (papermill -p SEED k): every lesson check on every seed"
	@echo "make bench-sliders      time every slider update of every notebook"
	@echo "make bench-attribution  the course's saliency, SmoothGrad and IG against Captum's"
	@echo "make bench-autograde    the instructor's nbgrader workflow, timed per notebook (README, Grading)"
	@echo "make monsters-seeds     retrain notebook 02's monster CNNs on seeds 0-5 and measure its claims (minutes)"
	@echo "make repro-lost-reply   the jupyter_client lost-reply race, reproduced without notebooks"
	@echo "make html       build/html/: the course site, built by Jupyter Book 2 from the executed notebooks (needs Node.js)"
	@echo "make budget     each notebook's main path, exercises and appendix against the density budget (tools/notebook_budget.py)"
	@echo "make layers     redraw the layer diagram of xai_helpers in CONTRIBUTING.md from the import graph"
	@echo "make test-browser  every notebook in JupyterLab in headless chromium: Run All, no errors, every slider moves its figure"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(UV)
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -r requirements.txt \
		|| $(PY) -m pip install --quiet -r requirements.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	$(PY) -m ipykernel install --user --name $(KERNEL) --display-name "Python (xai-course)" > /dev/null
	@touch $(STAMP)

install: $(STAMP)

lab: install
	$(VENV)/bin/jupyter lab notebooks/index.ipynb

# One pytest run on two workers (pytest-xdist; a notebook's cells stay together on one worker: --dist loadfile):
# every notebook (nbval), the unit tests and the doctests of xai_helpers. The notebooks' kernels use one thread.
# Files are handed out in this order as workers free up, so the long ones (the notebooks, ~30 s each) go first
# and the many short test files even out the end.
test: install lint
	$(VENV)/bin/pytest -n 2 --dist loadfile --doctest-modules notebooks tests xai_helpers --ignore=tests/browser \
		--nbval-lax --nbval-cell-timeout=120 -p no:cacheprovider -m "not slow"

# The tests marked slow: retraining the notebooks' main model (mnist_cnn) within its recorded tolerance, and
# re-running the recipes behind notebooks 05-07's precomputed tables (one entry each, within a stated tolerance).
# make test keeps the cheapest retraining (parabola_nets); CI (.ci/run, the workflow) runs both.
test-slow: install
	$(VENV)/bin/pytest tests -m slow -p no:cacheprovider

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check xai_helpers tests tools notebooks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/actionlint -no-color

student: install
	$(PY) tools/homework.py release build/student

publish: install
	$(PY) tools/homework.py publish build/student

benchmark: install
	$(PY) benchmarks/run_notebooks.py

budget: install
	$(PY) tools/notebook_budget.py notebooks/0[0-9]_*.ipynb  # 10 is not trimmed yet

seeds: install
	$(PY) benchmarks/run_notebooks.py --seeds 0 1 2 3 --top 0

bench-sliders: install
	$(PY) benchmarks/bench_sliders.py

bench-attribution: install
	$(PY) benchmarks/bench_attribution.py

bench-autograde: install
	$(PY) benchmarks/bench_autograde.py --jobs 2

monsters-seeds: install
	$(PY) -m xai_helpers.train monsters_seeds

repro-lost-reply: install
	$(PY) benchmarks/repro_lost_reply.py 200

clean:
	rm -rf build _build .pytest_cache .ruff_cache

html: install
	$(PY) tools/build_site.py

test-browser: install
	$(PY) tests/browser/run_browser_tests.py

layers: install
	$(PY) tools/layers_diagram.py
