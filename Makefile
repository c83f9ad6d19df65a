# Entry points of the suite; see README and shared/spec/interfaces.md ("Commands").
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export GOTOOLCHAIN := local

UV_VERSION := 0.13.9
UV := .tools/bin/uv
PY := .venv/bin/python
SUITECTL := $(PY) deploy/local/suitectl.py

.PHONY: help bootstrap install up infra-up down clean status lint typecheck test demo

help:
	@echo "make install | up | infra-up | down | clean | status | lint | typecheck | test | demo"

# .tools holds uv itself (from PyPI); .venv is the workspace environment from uv.lock.
bootstrap:
	@if ! $(UV) --version 2>/dev/null | grep -qx "uv $(UV_VERSION).*"; then \
		echo "installing uv $(UV_VERSION) into .tools"; \
		python3 -m venv .tools && .tools/bin/pip install -q "uv==$(UV_VERSION)"; \
	fi
	@$(UV) sync --frozen --quiet

# Kafka's jars (Maven) and the FerretDB binary (Go); both skipped when current.
install: bootstrap
	@$(SUITECTL) install

up: install
	@$(SUITECTL) up
	@.venv/bin/vouchers tokens .run/tokens.json --applicants-from deploy/sample/applications/*.json
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

typecheck: bootstrap
	MYPYPATH=deploy/local .venv/bin/mypy shared/src services/*/src deploy/local/suitectl.py \
		tests/conftest.py tests/support tests/integration tests/e2e

# The tests start Kafka and the store themselves (free ports, temporary data) and stop them.
test: install lint typecheck
	.venv/bin/pytest

# The 2026 filing window has closed; the demo runs on a program clock inside it unless told otherwise.
demo: export VOUCHER_CLOCK ?= 2026-05-20T10:00:00+08:00
demo: up
	@$(PY) deploy/local/demo.py
