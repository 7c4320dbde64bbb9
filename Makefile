# Two commands set everything up on a fresh machine:
#   make run   — open the dashboard on the built-in demo city
#   make test  — run every test (unit, integration, app, browser)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint demo bench clean mutants breaks

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m streamlit run app.py

demo: $(STAMP)
	$(PY) -m data_pipeline build --demo

# The tests without a browser on two processes (pytest-xdist; each builds its own fixtures),
# then the browser tests on one, which share a server and time what a visitor waits for.
test: $(STAMP) lint
	$(PY) -m pytest -m "not browser" -n 2
	$(PY) -m pytest -m browser

lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m benchmarks.run

# Mutation testing (not part of `make test`; about 20 minutes on 2 idle cores): mutmut over
# a tenth of the mutants of the transform, metrics and suppression code and, beside it, the
# hand-listed SQL mutations of the marts. The kill rate and the survivors: docs/testing.md.
mutants: $(STAMP)
	$(PY) -m tests.mutants --with-sql

# Every deliberate break of tests/breaks.py (the SQL mutations, the breaks of issue 15 and
# the figures docs/reliability.md quotes), each in a copy of the tree.
breaks: $(STAMP)
	$(PY) -m tests.breaks run

clean:
	rm -rf data/*.duckdb data/raw tests/artifacts mutants
