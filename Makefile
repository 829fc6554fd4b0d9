# The two commands a user needs: `make run` and `make test`. Everything else is set-up they call.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VENV_STAMP := $(VENV)/.installed
BIN := $(VENV)/bin
KAFKA_STAMP := .cache/kafka/.resolved
HELM := .cache/bin/helm
CHART := deploy/helm/screening

# First interpreter that is Python 3.11 or newer, preferring 3.11 (the version CI runs).
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: help venv kafka lint typecheck test run broker-start broker-stop broker-status lock clean soak bench \
	helm chart cluster-start cluster-stop cluster-status faults-cluster

help:
	@echo "make run    - start a local Kafka broker and a worker, screen the bundled sample (RUN_ONCE=1 to exit)"
	@echo "make test   - ruff, mypy and the full test suite against a real Kafka broker"
	@echo "make venv   - create .venv with the pinned packages"
	@echo "make kafka  - resolve the pinned Kafka jars from Maven Central into .cache/kafka"

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml requirements.lock
	@if [ -z "$(PYTHON)" ]; then echo "error: Python >= 3.11 not found; install python3.11 and retry" >&2; exit 1; fi
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@# setuptools reports every editable install with a notice ("Editable installation.") on stderr.
	PYTHONWARNINGS="ignore:Editable installation" \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

kafka:
	@deploy/kafka/fetch-jars.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy pipeline schemas tests

test: venv kafka lint typecheck chart
	@KAFKA_FRESH=1 deploy/kafka/with-broker.sh $(BIN)/pytest $(PYTEST_ARGS)

# helm, built from its pinned Go module into .cache/bin (deploy/helm/install-helm.sh).
helm:
	@deploy/helm/install-helm.sh >/dev/null

# The Kubernetes chart lints and renders, with the default values and with KEDA autoscaling on.
# helm notes on stderr that rules/ is a link (to deploy/prometheus/rules): shown only on failure.
chart: helm
	@$(HELM) lint --strict $(CHART) 2> >(grep -v 'found symbolic link' >&2)
	@out="$$($(HELM) template ci $(CHART) --set autoscaling.enabled=true --set worker.store=memory:// 2>&1 >/dev/null)" \
		|| { echo "$$out" >&2; exit 1; }

# Ten minutes of steady load on a broker of its own; not part of `make test` (SOAK_ARGS=--seconds 60).
soak: venv kafka
	$(BIN)/python -m soak $(SOAK_ARGS)

# Broker faults (kill -9 of a leader, rolling restart, SIGSTOP) at 20,000 orders each on the secured
# three-node cluster; too heavy for every CI run (`make test` runs them at 300). FAULTS_ARGS=--orders 5000
faults-cluster: venv kafka
	$(BIN)/python -m soak.cluster_faults $(FAULTS_ARGS)

# Throughput and latency of every layer side by side, on a broker of its own (BENCH_ARGS=--quick).
bench: venv kafka
	@bash bench/run.sh $(BENCH_ARGS)

run: venv kafka
	@deploy/kafka/broker.sh start
	$(BIN)/screening run $(if $(filter 1 true yes,$(RUN_ONCE)),--once,)

broker-start: kafka
	@deploy/kafka/broker.sh start

broker-stop:
	@deploy/kafka/broker.sh stop

broker-status:
	@deploy/kafka/broker.sh status

# The secured three-node cluster (TLS, SASL/SCRAM, ACLs); `deploy/kafka/cluster.sh env worker` connects.
cluster-start: venv kafka
	@deploy/kafka/cluster.sh start

cluster-stop:
	@deploy/kafka/cluster.sh stop

cluster-status:
	@deploy/kafka/cluster.sh status

# Regenerate the lock from the current venv (after changing a pin in pyproject.toml).
lock: venv
	@{ echo '# Pinned transitive set for `pip install -c requirements.lock -e ".[dev]"` (regenerate: make lock).'; \
	   $(BIN)/python -m pip freeze --exclude-editable | grep -vi '^shipment-screening'; } > requirements.lock

clean:
	-@deploy/kafka/broker.sh stop
	-@deploy/kafka/cluster.sh stop
	rm -rf $(VENV) .cache .run .mypy_cache .ruff_cache .pytest_cache
