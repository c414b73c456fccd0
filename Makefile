# make dev  — run the API on http://127.0.0.1:3000 against a local DynamoDB API (moto)
# make dev-lambda — the same, through the Lambda path (lambda_http, API Gateway's event shape), no Docker
# make test — lint the template and run every test against a fresh moto
# make clients — the Python and TypeScript clients generated from docs/openapi.yaml, driven against the binary (make test runs them too)
# make fuzz — cargo-fuzz on the request parsers, FUZZ_SECONDS per target (nightly toolchain only)
# make package — sam validate --lint + sam build (cargo-lambda); ARCH=x86_64 where no aarch64 std is installed
.PHONY: dev dev-lambda test lint fmt clippy check venv clean cost-report scale-report import-report bench cold-start tz-lookup
.PHONY: package package-venv fuzz clients clients-deps

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

# As make dev, but every request goes through the deployed path: examples/lambda_local plays
# API Gateway (HTTP API, payload 2.0: form bodies base64-encoded) and the Lambda Runtime API,
# and runs customer-api as a function instance (lambda_http). tests/lambda_local.rs sends
# README's curl examples through it. With Docker, docs/sam-local.md runs the real image.
dev-lambda: venv
	cargo build --bins --example lambda_local
	DEV_VIA_LAMBDA=1 infra/with-moto.sh $(DEV_MOTO_PORT) infra/dev.sh

lint: venv
	$(VENV)/bin/cfn-lint template.yaml

# Tests get their own moto on a free port, and each test its own tables, so `make dev` can run alongside.
test: lint clients-deps
	infra/test.sh

# The generators of make clients (infra/clients.sh): openapi-python-client in a venv of its own
# (.venv-clients: it pins its own httpx, attrs and pydantic), @hey-api/openapi-ts and tsc from
# clients/package-lock.json (npm ci; Node.js >= 20.19 and npm must be on the machine).
CLIENTS_VENV := .venv-clients
clients-deps: $(CLIENTS_VENV)/.installed clients/node_modules/.installed
$(CLIENTS_VENV)/.installed: infra/requirements-clients.txt
	$(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-clients.txt
	touch $@
clients/node_modules/.installed: clients/package.json clients/package-lock.json
	cd clients && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Generates both clients into clients/.generated (not committed) and drives neuCRM's reference
# flow through each against the debug binary on a fresh moto (~10-12 s after the build: README).
clients: venv clients-deps
	cargo build --bins
	infra/with-moto.sh 0 infra/clients.sh

fmt:
	cargo fmt --all

clippy:
	cargo clippy --all-targets -- -D warnings

check: test clippy
	cargo fmt --all -- --check

clean:
	rm -rf $(VENV) $(CLIENTS_VENV) target clients/node_modules clients/.generated

# Read units of the list's request shapes over 20,000 customers (docs/data-model.md).
cost-report: venv
	infra/with-moto.sh 0 cargo run --quiet --example cost_report

# Calls, entries and read units of each list shape and scope at 2,000 and 20,000 customers
# (120 resellers), and the binary's peak memory (docs/data-model.md). ~15 min: moto walks the
# whole table for every index Query.
scale-report: venv
	cargo build --release --bin customer-api-dev
	infra/with-moto.sh 0 cargo run --release --example scale_report

# crm-admin's import and export at size: --check of 100,000 rows, an import and export of
# 2,000, peak memory and time of each
# (docs/data-model.md). CHECK_ROWS / WRITE_ROWS change the sizes.
import-report: venv
	cargo build --bin crm-admin
	infra/with-moto.sh 0 infra/import-report.sh

# The first time-zone lookups of 40 cold processes, from the compiled-in database (docs/performance.md).
tz-lookup:
	cargo run --release --quiet --example tz_lookup

# Criterion benches of a request's in-process work, DynamoDB excluded (docs/performance.md).
bench: venv
	infra/with-moto.sh 0 cargo bench --bench request_path

# Cold start of the release binary against a local Lambda Runtime API and moto, beside a
# lambda_runtime hello-world (docs/performance.md). `COLD_STARTS=N make cold-start` for N starts
# of each (default 30); `CUSTOMER_API_ENV="NAME=value …"` to try a setting on customer-api.
cold-start: venv
	cargo build --release --bin customer-api --example hello_lambda
	infra/with-moto.sh 0 cargo run --release --example cold_start

# The deployment package as `sam deploy` uploads it: `sam validate --lint`, then `sam build`
# (BuildMethod rust-cargolambda: cargo-lambda cross-compiles the release `bootstrap` with Zig),
# then the size of the functions' binaries (.aws-sam/build/CustomerApiFunction/bootstrap,
# .aws-sam/build/ChangeEventsFunction/bootstrap and WebhookDeliveryFunction's). The SAM CLI and cargo-lambda live in a venv of
# their own (.venv-package, infra/requirements-package.txt): aws-sam-cli pins boto3/botocore
# and cfn-lint versions that would fight moto's in .venv. Needs no AWS account,
# credentials or Docker. ARCH (arm64 or x86_64, default arm64) sets the stack parameter
# Architecture, which decides cargo-lambda's target (--arm64: aarch64-unknown-linux-gnu);
# building arm64 needs that target's standard library (rustup target add
# aarch64-unknown-linux-gnu). Deploy with the same Architecture as the build. --no-cached
# (samconfig.toml says `cached = false` too): SAM's cache hashes every file under CodeUri (.),
# i.e. target/ and both venvs (~1 min), never hits (target/ changes with every build), and fails
# (FileNotFoundError) when a cargo build running beside it removes a file; cargo-lambda's own
# cargo build is incremental anyway.
PACKAGE_VENV := .venv-package
ARCH ?= arm64
PACKAGE_BINARIES := .aws-sam/build/CustomerApiFunction/bootstrap .aws-sam/build/ChangeEventsFunction/bootstrap .aws-sam/build/WebhookDeliveryFunction/bootstrap
PACKAGE_ENV := PATH="$(CURDIR)/$(PACKAGE_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0

package-venv: $(PACKAGE_VENV)/.installed
$(PACKAGE_VENV)/.installed: infra/requirements-package.txt
	$(PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-package.txt
	touch $@

package: package-venv
	@case "$(ARCH)" in \
	  arm64) target=aarch64-unknown-linux-gnu ;; \
	  x86_64) target=x86_64-unknown-linux-gnu ;; \
	  *) echo "make package: ARCH must be arm64 or x86_64, not '$(ARCH)'" >&2; exit 2 ;; \
	esac; \
	if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx "$$target"; then \
	  echo "make package: no Rust standard library for $$target on this machine, so no $(ARCH) build." >&2; \
	  echo "  Install it (rustup target add $$target) or build for the other architecture:" >&2; \
	  echo "  make package ARCH=$$( [ $(ARCH) = arm64 ] && echo x86_64 || echo arm64 )" >&2; \
	  exit 1; \
	fi
	$(PACKAGE_ENV) sam validate --lint
	$(PACKAGE_ENV) sam build --no-cached --parameter-overrides Architecture=$(ARCH)
	@case "$(ARCH)" in arm64) want=b7 ;; x86_64) want=3e ;; esac; \
	for binary in $(PACKAGE_BINARIES); do \
	  machine=$$(od -An -tx1 -j18 -N1 $$binary | tr -d ' '); \
	  if [ "$$machine" != "$$want" ]; then \
	    echo "make package: $$binary is not a $(ARCH) executable (ELF machine 0x$$machine)" >&2; exit 1; \
	  fi; \
	  bytes=$$(wc -c < $$binary); \
	  echo "$$binary ($(ARCH)): $$bytes bytes ($$(awk "BEGIN { printf \"%.1f\", $$bytes / 1048576 }") MiB)"; \
	done; \
	if [ "$(ARCH)" != arm64 ]; then \
	  echo "Deploy this build with --parameter-overrides Architecture=$(ARCH); the arm64 size must be measured where aarch64-unknown-linux-gnu is installed."; \
	fi

# cargo-fuzz (libFuzzer) on the request parsers, FUZZ_SECONDS per target (default 20):
# fuzz/fuzz_targets/*.rs, a crate with a workspace of its own that the root build never
# compiles. cargo-fuzz needs a nightly toolchain (-Zsanitizer=address and libFuzzer's
# instrumentation); without one this says so and exits 0. Installs cargo-fuzz (~1 min) when
# missing; the first build of the instrumented crate takes several minutes. Each target
# starts from fuzz/seeds/TARGET and grows fuzz/corpus/TARGET; a crash stops the run, with
# its input in fuzz/artifacts/TARGET (replay: cargo +nightly fuzz run TARGET FILE).
FUZZ_SECONDS ?= 20
FUZZ_TARGETS ?= body credentials list records values
fuzz:
	@if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then \
	  echo "make fuzz: skipped, exit 0: no nightly Rust toolchain installed (rustup toolchain list), and cargo-fuzz needs one."; \
	  echo "  rustup toolchain install nightly, then make fuzz; tests/parsers.rs property-tests the same parsers on stable."; \
	  exit 0; \
	fi; \
	set -e; \
	cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked; \
	cargo +nightly fuzz build; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t; \
	  seeds=; [ ! -d fuzz/seeds/$$t ] || seeds=fuzz/seeds/$$t; \
	  echo "make fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  cargo +nightly fuzz run $$t fuzz/corpus/$$t $$seeds -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1; \
	done
