# RNN Playground. `make run` serves the app; `make test` runs every test (browser ones included).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
STREAMLIT_FLAGS := --server.headless true --server.address 127.0.0.1 --server.port $(PORT) \
	--browser.gatherUsageStats false --server.fileWatcherType none

.PHONY: run test lint format chromium nginx weights bench results clean

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m streamlit run app.py $(STREAMLIT_FLAGS)

# Browser tests drive Debian's Chromium (Playwright's own download does not work offline).
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium'"; exit 1; fi; }

# The deploy test (tests/browser/test_deploy.py) puts Debian's nginx in front of two replicas.
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }; \
	  else echo "the deploy test needs nginx: run 'sudo apt-get install nginx-light'"; exit 1; fi; }

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.dev-installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

test: $(VENV)/.dev-installed chromium nginx lint
	$(PY) -m pytest

# Retrain every shipped checkpoint from its fixed-seed recipe (not part of `make test`).
# `make weights DEVICE=cuda` runs the training steps on a GPU (how folk-abc and video-* were built).
DEVICE ?= cpu
weights: $(VENV)/.installed
	$(PY) -m core models build --device $(DEVICE)
	$(MAKE) results

# Each bench/bench_*.py writes bench/results/NAME.json; report.py prints them as one table.
bench: $(VENV)/.dev-installed chromium
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done
	$(PY) bench/report.py
	$(MAKE) results

# docs/results.md, generated from bench/results/*.json, the pages' stored measurements and the
# checkpoints' metadata (tests/unit/test_results_doc.py fails when it drifts from them).
results: $(VENV)/.installed
	$(PY) -m core.results --write docs/results.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
