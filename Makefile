# Entry points of the suite; README.md says what each one does and what a machine needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export GOTOOLCHAIN := local

UV_VERSION := 0.13.9
UV := .tools/bin/uv
PY := .venv/bin/python
SUITECTL := $(PY) deploy/local/suitectl.py

SERVICE_NAMES := intake eligibility verification notification
SERVICE_TESTS := $(addprefix test-,$(SERVICE_NAMES))

.PHONY: help doctor prerequisites bootstrap install prometheus test-deps browser up infra-up down clean \
	status lint typecheck test test-fast $(SERVICE_TESTS) demo compose-demo bench schemas docs dashboards

help:
	@echo "make doctor | install | up | infra-up | down | clean | status | lint | typecheck | test | test-deps"
	@echo "     test-fast | test-intake | test-eligibility | test-verification | test-notification"
	@echo "     demo | compose-demo | schemas | bench | docs | dashboards"

# What the machine must have before make installs the rest (README, "Prerequisites"): `make doctor`
# lists each with its version; make install, and make test with what the tests need besides, stop
# first, naming each one missing or too old.
CHECK_FOR := $(if $(filter test test-deps,$(MAKECMDGOALS)),test,install)

doctor:
	@/bin/bash deploy/local/doctor.sh test

prerequisites:
	@/bin/bash deploy/local/doctor.sh --quiet $(CHECK_FOR)

# .tools holds uv itself (from PyPI); .venv is the workspace environment from uv.lock.
bootstrap:
	@if ! $(UV) --version 2>/dev/null | grep -qx "uv $(UV_VERSION).*"; then \
		echo "installing uv $(UV_VERSION) into .tools"; \
		python3 -m venv .tools && .tools/bin/pip install -q "uv==$(UV_VERSION)"; \
	fi
	@$(UV) sync --frozen --quiet

# Debian packages, installed as root or else through sudo. Waits for a concurrent apt run instead
# of failing on its lock, and tries again before giving up. $(1): what follows `apt-get install`.
apt_install = sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	for attempt in 1 2 3; do \
		$$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
			$(1) >/dev/null && break; \
		sleep 10; \
	done

# What the suite and the demo run on: the Python environment, Kafka's jars (Maven), the FerretDB
# binary (Go) and Prometheus; each skipped when current.
install: prerequisites bootstrap prometheus
	@$(SUITECTL) install

# Debian's prometheus package: promtool for the alert rules, and the server `make up` starts.
prometheus:
	@if ! command -v promtool >/dev/null; then \
		echo "installing prometheus (apt)"; \
		$(call apt_install,--no-install-recommends prometheus); \
	fi
	@command -v promtool >/dev/null || { echo "prometheus could not be installed" >&2; exit 1; }

# What only the tests need besides: the AsyncAPI parser (npm) that validates docs/asyncapi, and
# Debian's chromium with a font with Chinese glyphs for the headless-browser test of the public
# notice page (Playwright drives /usr/bin/chromium; no browser is downloaded).
ASYNCAPI_TOOLS := tests/asyncapi/node_modules/.package-lock.json
# axe-core (npm), which the browser tests inject into the console's pages.
BROWSER_CHECKS := tests/browser/node_modules/.package-lock.json

test-deps: prerequisites browser $(ASYNCAPI_TOOLS) $(BROWSER_CHECKS)

$(ASYNCAPI_TOOLS): tests/asyncapi/package.json tests/asyncapi/package-lock.json
	cd tests/asyncapi && npm ci --no-audit --no-fund --loglevel=error

$(BROWSER_CHECKS): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error

browser:
	@if ! command -v chromium >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		echo "installing chromium and fonts-wqy-microhei (apt)"; \
		$(call apt_install,chromium fonts-wqy-microhei); \
	fi
	@command -v chromium >/dev/null || { echo "chromium could not be installed" >&2; exit 1; }

up: install
	@$(SUITECTL) up
	@VOUCHERS_TOKEN_KEY="$$(cat .run/token.key)" .venv/bin/vouchers tokens .run/tokens.json \
		--applicants-from deploy/sample/applications/*.json
	@echo "bearer tokens for trying the API: .run/tokens.json"

infra-up: install
	@$(SUITECTL) up --infra-only

down:
	@if [ -x $(PY) ]; then $(SUITECTL) down; fi

clean:
	@if [ -x $(PY) ]; then $(SUITECTL) clean; fi

status:
	@$(SUITECTL) status

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

TYPECHECK_PATHS = shared/src $(wildcard services/*/src) deploy/local/suitectl.py deploy/local/demo.py \
	tests/conftest.py $(wildcard tests/support tests/contract tests/integration tests/e2e tests/observability \
	tests/faults tests/scale tests/deploy deploy/bench deploy/grafana/dashboards.py)

typecheck: bootstrap
	MYPYPATH=deploy/local .venv/bin/mypy $(TYPECHECK_PATHS)

# The committed JSON schemas of the event contracts (shared/schemas), from the pydantic models;
# refuses a change a topic version does not allow.
schemas: bootstrap
	$(PY) -m vouchers_shared.schemas --write

# AsyncAPI per service and OpenAPI of intake and notification (docs/), from the apps; and the
# Grafana dashboards (deploy/grafana/dashboards). The tests fail when either is stale.
docs: bootstrap
	$(PY) -m vouchers_shared.observability.docs --write

dashboards: bootstrap
	$(PY) deploy/grafana/dashboards.py

# The tests start Kafka and the store themselves (free ports, temporary data) and stop them.
test: install test-deps lint typecheck
	.venv/bin/pytest

# The fast tier, in memory: each service's unit and handler tests (subscribers on FastStream's
# TestKafkaBroker, stores on a document store in memory) and the shared package's. No Kafka and
# no store: their addresses point where nothing answers. `make test-intake` and the like run one
# service's.
IN_MEMORY := env KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9 MONGODB_URL=mongodb://127.0.0.1:9/ .venv/bin/pytest -q

test-fast: bootstrap
	$(IN_MEMORY) shared/tests $(foreach service,$(SERVICE_NAMES),services/$(service)/tests)

$(SERVICE_TESTS): test-%: bootstrap
	$(IN_MEMORY) services/$*/tests

# The 2026 filing window has closed; the demo runs on a program clock inside it unless told otherwise.
demo: export VOUCHER_CLOCK ?= 2026-05-20T10:00:00+08:00
demo: up
	@$(PY) deploy/local/demo.py

# The demo on Docker: the same steps against `docker compose` (Kafka, MongoDB, Mailpit). Needs a
# token-signing key of this installation's own in VOUCHERS_TOKEN_KEY; tokens are signed with it.
compose-demo: export VOUCHER_CLOCK ?= 2026-05-20T10:00:00+08:00
compose-demo: bootstrap
	@test -n "$$VOUCHERS_TOKEN_KEY" || { echo 'export VOUCHERS_TOKEN_KEY="$$(openssl rand -base64 48)" first (and keep it)' >&2; exit 2; }
	docker compose up -d --build --wait
	@mkdir -p .run && .venv/bin/vouchers tokens .run/compose-tokens.json \
		--applicants-from deploy/sample/applications/*.json
	@DEMO_ON=compose DEMO_TOKENS=.run/compose-tokens.json $(PY) deploy/local/demo.py

# Throughput and latency against the raw Kafka ceiling, on Kafka, a store and services of its
# own (free ports, data wiped after); writes .run/bench.json and .run/bench.png.
# Options through BENCH_ARGS, e.g. make bench BENCH_ARGS="--n 2000 --profile verification".
bench: install
	$(PY) deploy/bench/bench.py $(BENCH_ARGS)
