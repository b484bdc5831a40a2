# One command each for run, test, lint. `make help` lists them.
# Everything a target needs is installed on first use: a Python 3.11 virtualenv (.venv) from
# the hash-pinned lock files in requirements/, npm assets, and for `make test` Debian's chromium.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
PORT ?= 8000
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
VENDOR := buergerbuero/static/vendor

.DEFAULT_GOAL := help
.PHONY: help run worker test lint lock install system assets chromium demo migrate bench clean messages

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: install migrate demo ## Start the product with the Stadt Köln demo at http://127.0.0.1:$(PORT)
	@echo "Virtuelles Bürgerbüro: http://127.0.0.1:$(PORT)/  (admin: http://127.0.0.1:$(PORT)/admin/, emails: http://127.0.0.1:$(PORT)/entwicklung/postausgang/)"
	@# Drafts and retention periods (production: hourly, deploy/systemd/*housekeeping*).
	$(MANAGE) housekeeping
	@# The task worker (emails and other background work) runs beside uvicorn and stops with
	@# it: on Ctrl-C both get SIGINT; if uvicorn ends on its own, the EXIT trap stops the worker.
	$(MANAGE) db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(VENV)/bin/uvicorn buergerbuero.asgi:application --host 127.0.0.1 --port $(PORT)

worker: install migrate ## Run only the background task worker (`make run` starts one itself)
	$(MANAGE) db_worker --no-reload

test: install chromium ## Run the whole suite (SQLite; PostgreSQL too where DATABASE_URL is set)
	$(MAKE) --no-print-directory lint
	scripts/test-passes

lint: install ## ruff, and a check that every model change has its migration
	$(VENV)/bin/ruff check .
	env -u DATABASE_URL $(MANAGE) makemigrations --check --dry-run

install: $(VENV)/.installed $(VENDOR)/.installed system ## Install Python packages, front-end assets, xmlsec1

# What the product itself runs: xmlsec1 signs, checks and decrypts SAML messages (BundID,
# the development IdP). Installed on first use, like chromium for the tests (needs root).
RUN_DEBS := xmlsec1
system:
	@missing=$$(for deb in $(RUN_DEBS); do dpkg -s $$deb >/dev/null 2>&1 || echo $$deb; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  systemctl disable --now coturn >/dev/null 2>&1 || true; fi

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==0.13.8

$(VENV)/.installed: requirements/dev.lock $(UV)
	test -x $(PY) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(PY) requirements/dev.lock
	touch $@

lock: $(UV) ## Re-pin requirements/*.lock after changing pyproject.toml
	$(UV) pip compile pyproject.toml --generate-hashes --python-version 3.11 --no-header -q -o requirements/prod.lock
	$(UV) pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 --no-header -q -o requirements/dev.lock

$(VENDOR)/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/kern/fonts $(VENDOR)/htmx $(VENDOR)/altcha
	cp node_modules/@kern-ux/native/dist/kern.min.css node_modules/@kern-ux/native/LICENSE.md $(VENDOR)/kern/
	for weight in Regular Italic Medium SemiBold Bold; do \
	  cp node_modules/@kern-ux/native/dist/fonts/fira-sans/FiraSans-$$weight.woff2 $(VENDOR)/kern/fonts/; done
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE $(VENDOR)/htmx/
	@# ALTCHA's "external" build: styles and the proof-of-work worker as files of their own
	@# (the default build injects both inline, which the Content-Security-Policy refuses).
	cp node_modules/altcha/dist/external/altcha.min.js node_modules/altcha/dist/external/altcha.css \
	  node_modules/altcha/dist/workers/pbkdf2.js node_modules/altcha/LICENSE.txt $(VENDOR)/altcha/
	cp node_modules/altcha/dist/i18n/de.js $(VENDOR)/altcha/altcha-de.js
	touch $@

assets: $(VENDOR)/.installed ## Copy KERN UX, htmx and ALTCHA from npm into static/vendor

# What the tests drive for real: chromium (browser tests), clamd (virus scan of uploads),
# pdftoppm + zbarimg (the QR code on a notice is decoded), HarfBuzz subsetting (PDF speed),
# coturn (a video call relayed through a real TURN server).
TEST_DEBS := chromium fonts-dejavu-core clamav-daemon poppler-utils zbar-tools libharfbuzz-subset0 coturn
chromium: ## Install the Debian packages the tests use: chromium, clamd, poppler, zbar, coturn (needs root)
	@missing=$$(for deb in $(TEST_DEBS); do dpkg -s $$deb >/dev/null 2>&1 || echo $$deb; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

migrate: install
	$(MANAGE) migrate --no-input -v 0

demo: install ## Load the Stadt Köln demo data and demo accounts (idempotent)
	$(MANAGE) load_demo

messages: install ## Update the English .po file after changing German texts
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=.tools --ignore=node_modules --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv --ignore=.tools

bench: install ## Load test: throughput and latency of home, service page, search
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/portal.py

clean:
	rm -rf .venv .tools node_modules $(VENDOR) var
