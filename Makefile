# Every target installs what it needs into .venv first (fresh machine: python3 with venv and pip).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install test reproduce clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

test: install
	$(PY) -m pytest symdyn tests

reproduce: install
	$(VENV)/bin/symdyn reproduce ssl-m1
	$(VENV)/bin/symdyn reproduce attention-multistability

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
