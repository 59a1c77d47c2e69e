# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench venv clean

$(STAMP): requirements/constraints.txt requirements/test.txt libs/engine-core/pyproject.toml
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install --quiet -c requirements/constraints.txt -r requirements/test.txt -e libs/engine-core
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VPY) examples/quickstart_embedded.py

test: $(STAMP)
	$(VPY) -m pytest

bench: $(STAMP)
	$(VPY) bench/embedded.py

clean:
	rm -rf $(VENV)
