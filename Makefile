# make dev  — run the API on http://127.0.0.1:3000 against a local DynamoDB API (moto)
# make test — lint the template and run every test against a fresh moto
.PHONY: dev test lint fmt clippy check venv clean cost-report scale-report bench cold-start

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
	infra/test.sh

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

# Calls, entries and read units of each list shape and scope at 2,000 and 20,000 customers
# (120 resellers), and the binary's peak memory (docs/data-model.md). ~15 min: moto walks the
# whole table for every index Query.
scale-report: venv
	cargo build --release --bin customer-api
	infra/with-moto.sh 0 cargo run --release --example scale_report

# Criterion benches of a request's in-process work, DynamoDB excluded (docs/performance.md).
bench: venv
	infra/with-moto.sh 0 cargo bench --bench request_path

# Cold start of the release binary against a local Lambda Runtime API and moto, beside a
# lambda_runtime hello-world (docs/performance.md). `COLD_STARTS=N make cold-start` for N starts
# of each (default 30); `CUSTOMER_API_ENV="NAME=value …"` to try a setting on customer-api.
cold-start: venv
	cargo build --release --bin customer-api --example hello_lambda
	infra/with-moto.sh 0 cargo run --release --example cold_start
