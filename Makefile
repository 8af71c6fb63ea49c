# KOIN Media. Quick start: `make run` (serve on http://127.0.0.1:8000, or KOIN_BIND), `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
CATALOGS := $(wildcard koin_media/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test lint install install-dev frontend translations extract-messages db-upgrade seed bench clean

# The demo data (and its accounts) come last, then the address, so neither is lost in the install
# output. The Procfile's settings are resolved once, as the app reads its own (environment, then
# .env, then the default: scripts/serve_env.py), and honcho gets exactly those (`-e /dev/null`:
# by itself it lets .env override the environment), so the address printed is the one served.
run: install frontend translations .env db-upgrade
	@$(FLASK) seed-demo
	@eval "$$($(BIN)/python scripts/serve_env.py)" && \
		echo "" && echo "KOIN Media: http://$$KOIN_BIND  (Ctrl+C stops the web server and the worker)" && \
		exec $(BIN)/honcho start -f Procfile -e /dev/null

test: install-dev frontend translations
	$(BIN)/pytest

LINT_PATHS = koin_media tests bench migrations scripts wsgi.py

lint: install-dev
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Front-end packages come from npm (pinned in package-lock.json) and are copied into
# static/vendor; neither node_modules nor static/vendor is committed.
frontend:
	@if [ -f package.json ]; then \
		if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
			npm ci --no-audit --no-fund --loglevel=error; fi; \
		npm run --silent vendor; \
	fi

translations: install $(COMPILED)

%.mo: %.po
	$(BIN)/pybabel compile --statistics -i $< -o $@

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project "KOIN Media" -o koin_media/translations/messages.pot .
	$(BIN)/pybabel update -i koin_media/translations/messages.pot -d koin_media/translations --no-fuzzy-matching

# A local .env with a generated secret key, written once; real environment variables win.
.env:
	@$(BIN)/python -c "import secrets; print('# Written by make run for local use. See README.md for every setting.'); print('KOIN_SECRET_KEY=' + secrets.token_urlsafe(48)); print('# Served over plain http on 127.0.0.1: cookies cannot be Secure-only here.'); print('KOIN_COOKIE_SECURE=false')" > $@
	@echo "Wrote .env with a new secret key."

db-upgrade: install
	$(FLASK) db upgrade

seed: install
	$(FLASK) seed-demo

# The catalogue benchmark (BENCHMARKS.md), e.g. make bench BENCH_ARGS="--n 10000 --db postgresql"
bench: install translations
	$(BIN)/python bench/catalog.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache
	find koin_media/translations -name '*.mo' -delete
