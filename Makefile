# The two commands of the README: `make book` builds the website, `make test` runs every test.
# Both first create .venv from the pinned requirements.txt and install emlib into it, editable.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Notebooks are committed executed; nbval re-runs each one and compares every stored output.
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
BUILD := $(BIN)/jupyter-book build . -W -n --keep-going --all
# One BLAS thread: emlib makes many small BLAS calls, which thread contention on a busy 2-core
# machine slows twentyfold; one thread also keeps floating-point reductions in a fixed order.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: book test format lab execute reproducible pdf check-site bench-squarem bench-ecg bench-performance bench-defaults bench-panel bench-panel-frontier bench-hmm bench-dask clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## book: build the website into _build/html (warnings are errors)
book: $(STAMP)
	$(BUILD)

## test: ruff (lint and format), emlib's tests, nbval over every notebook (one pytest-xdist worker per core; a notebook's
## cells stay on one worker), then the warnings-as-errors site build
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONHASHSEED=0 $(BIN)/python -m pytest $(NBVAL) -p no:cacheprovider -n auto --dist loadfile tests book
	$(BUILD)

## format: apply ruff's formatting and safe lint fixes (make test checks both)
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## lab: open the notebooks in JupyterLab (installs JupyterLab into .venv on first use)
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-lab.txt
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) book/

## execute: re-run every notebook in place after editing it (then commit the outputs)
execute: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py

## reproducible: nbval over every notebook twice, and two site builds compared file by file
reproducible: $(STAMP)
	$(BIN)/python scripts/check_reproducible.py

## bench-squarem: plain EM vs SQUAREM vs scikit-learn (writes benchmarks/results/squarem.json)
bench-squarem: $(STAMP)
	$(BIN)/python benchmarks/squarem.py

## bench-ecg: EM vs SQUAREM vs ECG vs the EM–ECG hybrid (writes benchmarks/results/ecg.json)
bench-ecg: $(STAMP)
	$(BIN)/python benchmarks/ecg.py

## bench-performance: emlib vs scikit-learn per EM iteration and end to end (writes benchmarks/results/performance.json)
bench-performance: $(STAMP)
	$(BIN)/python benchmarks/performance.py

## bench-defaults: the cases of "Correct fits at default settings" (writes benchmarks/results/default_settings.json)
bench-defaults: $(STAMP)
	$(BIN)/python benchmarks/default_settings.py

## bench-panel: fit strategies against the best optima known on seven real data sets (writes benchmarks/results/panel.json)
bench-panel: $(STAMP)
	$(BIN)/python benchmarks/panel.py

## bench-hmm: one Baum–Welch E-step, emlib against hmmlearn (writes benchmarks/results/hmm.json)
bench-hmm: $(STAMP)
	$(BIN)/python benchmarks/hmm.py

## bench-panel-frontier: how much multi-start search the panel's accuracy goal would take (writes benchmarks/results/panel_frontier.json)
bench-panel-frontier: $(STAMP)
	$(BIN)/python benchmarks/panel_frontier.py

## bench-dask: fit_gmm on a 1.28 GB on-disk Dask array (N = 2e7, D = 8, K = 8) within a quarter of its size in memory,
## against the in-memory fit (writes benchmarks/results/dask_scale.json)
bench-dask: $(STAMP)
	$(BIN)/python benchmarks/dask_scale.py

## pdf: the book as one PDF through LaTeX (xelatex; Debian's texlive, see .ci/run) in _build/pdf/em-book.pdf,
## also copied into the site (_build/html/em-book.pdf, linked from the intro), then its pages checked
pdf: $(STAMP)
	LATEXOPTS="-halt-on-error" LATEXMKOPTS="-silent" $(BUILD) --builder pdflatex
	mkdir -p _build/pdf _build/html
	cp _build/latex/em-book.pdf _build/pdf/em-book.pdf
	cp _build/latex/em-book.pdf _build/html/em-book.pdf
	$(BIN)/python scripts/check_pdf.py _build/pdf/em-book.pdf --latex _build/latex

## check-site: open every page of the built site in headless Chromium and check it (needs make book, then
## make pdf, whose em-book.pdf the intro links to)
check-site: $(STAMP)
	$(BIN)/python scripts/check_site.py _build/html

clean:
	rm -rf _build
