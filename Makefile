# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-compare protos lint venv clean

PACKAGES := -e libs/engine-core -e protos -e services/state-store -e services/executor -e services/scheduler -e services/api-gateway -e libs/sdk

$(STAMP): requirements/*.txt libs/*/pyproject.toml protos/pyproject.toml services/*/pyproject.toml
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install --quiet -c requirements/constraints.txt -r requirements/test.txt -r requirements/services.txt $(PACKAGES)
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VPY) examples/quickstart_cluster.py

test: $(STAMP)
	$(VPY) -m pytest

lint: $(STAMP)
	$(VPY) -m pip install --quiet -r requirements/lint.txt
	$(VPY) -m ruff check libs/engine-core/src
	$(VPY) -m mypy --strict libs/engine-core/src/bamboo_core

protos: $(STAMP)
	$(VPY) scripts/gen_protos.py

# The cluster on PostgreSQL (127.0.0.1:5432) and embedded mode, e.g. BENCH_ARGS="--executors 2 --schedulers 2".
bench: $(STAMP)
	$(VPY) bench/cluster.py $(BENCH_ARGS)

# bamboo-pipeline (../shared/anchors/bamboo-pipeline-bench, RabbitMQ + MariaDB) then Bamboo, same cases.
bench-compare: $(STAMP)
	$(VPY) bench/side_by_side.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV)
