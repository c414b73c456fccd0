# make dev  — run the API on http://127.0.0.1:3000 against a local DynamoDB API (moto)
# make test — lint the template and run every test against a fresh moto
.PHONY: dev test lint fmt clippy check venv clean cost-report

VENV := .venv
PYTHON ?= python3
DEV_MOTO_PORT ?= 8000

venv: $(VENV)/.installed
$(VENV)/.installed: infra/requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-dev.txt
	touch $@

dev: venv
	cargo build --bins
	infra/with-moto.sh $(DEV_MOTO_PORT) infra/dev.sh

lint: venv
	$(VENV)/bin/cfn-lint template.yaml

# Tests get their own moto on a free port, and each test its own tables, so `make dev` can run alongside.
test: lint
	infra/with-moto.sh 0 cargo test --all-targets

fmt:
	cargo fmt --all

clippy:
	cargo clippy --all-targets -- -D warnings

check: test clippy
	cargo fmt --all -- --check

clean:
	rm -rf $(VENV) target

# Read units of the list's request shapes over 20,000 customers (docs/data-model.md).
cost-report: venv
	infra/with-moto.sh 0 cargo run --quiet --example cost_report
