# Tsunagu — two commands: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST := $(VENV)/bin/pytest
DEV_ENV := DEBUG=1
# The demo: two-factor optional (said on every page), e-mail written to files under var/mail/.
DEMO_ENV := OTP_REQUIRED_FOR_ADMINS=0 EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend
HOST ?= 127.0.0.1
PORT ?= 8000
# axe-core for the accessibility test of every page (defined before the rules that need it).
AXE_VERSION := 4.14.1
AXE := var/vendor/axe-core-$(AXE_VERSION)/axe.min.js

.PHONY: demo setup migrate test test-sqlite test-postgres bench lint axe clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	mkdir -p var
	$(DEV_ENV) $(PY) manage.py migrate --noinput

# Sets everything up, loads the Kanagawa demo network and serves it with the worker beside it.
# Demo logins skip the second factor for admins; the site shows a banner saying so.
demo: migrate
	$(DEV_ENV) $(PY) manage.py load_demo
	$(DEV_ENV) $(DEMO_ENV) $(PY) manage.py run_demo --host $(HOST) --port $(PORT)

# The whole suite on SQLite, and on PostgreSQL too when TEST_POSTGRES_URL is set.
test: setup $(AXE)
	$(PYTEST) -q
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== PostgreSQL"; DATABASE_URL="$$TEST_POSTGRES_URL" $(PYTEST) -q; fi

# axe-core for the accessibility test of every page, fetched from the npm registry (not committed).
$(AXE):
	mkdir -p $(dir $(AXE))
	cd $(dir $(AXE)) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js && rm axe-core-$(AXE_VERSION).tgz
axe: $(AXE)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) var test-output
