# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install messages makemessages run serve test lint format lock screenshots lighthouse

# Re-installs only when the lock file changes.
$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed: make PYTHON=python3.12 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

# axe-core, for the browser tests' accessibility checks, and vnu-jar, the Nu Html Checker that
# tests/test_html_valid.py runs with the machine's Java (both skipped without npm). --ignore-scripts:
# vnu-jar's postinstall would download a Java from GitHub; we use Debian's (.ci/run installs it).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent --ignore-scripts && touch $@; \
	else echo "npm not found: the accessibility and HTML validity tests will be skipped"; fi

# The Korean and English catalogues (locale/*/LC_MESSAGES/django.po), compiled by gettext's msgfmt.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

%.mo: %.po
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install gettext (apt-get install gettext, brew install gettext)"; exit 1; }
	msgfmt --check-format -o $@ $<

messages: $(MO_FILES)

install: $(VENV)/.installed node_modules/.installed messages

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --if-empty
	@echo
	@echo "  The site:  http://$(HOST):$(PORT)/"
	@echo "  The admin: http://$(HOST):$(PORT)/admin/  (first create your account:"
	@echo "             $(PY) manage.py createsuperuser )"
	@echo
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production server: gunicorn, WEB_CONCURRENCY workers (gunicorn reads it; default 1).
# Needs the production environment (.env.example): DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS...
serve: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py make_renditions
	$(PY) manage.py render_cards
	$(VENV)/bin/gunicorn portfolio.wsgi --bind $(HOST):$(PORT) --access-logfile -

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Collect the translatable strings of our code and templates into the catalogues (then translate, make messages).
makemessages: install
	$(PY) manage.py makemessages --locale ko --locale en --no-obsolete --add-location file \
		--ignore '.venv/*' --ignore 'node_modules/*' --ignore 'var/*' --ignore 'artifacts/*' --ignore 'tests/*'

# Re-resolve requirements.in into the pinned requirements.txt.
lock: install
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.txt requirements.in

# The README's pictures, from the last browser-test run (artifacts/screenshots/).
screenshots:
	cp artifacts/screenshots/desktop.png docs/screenshot-desktop.png
	cp artifacts/screenshots/phone.png docs/screenshot-phone.png
	cp artifacts/screenshots/admin-editor-ko.png docs/screenshot-admin.png

# Google Lighthouse on / and a model page, mobile and desktop (bench/lighthouse.py; fetches lighthouse@12.2.3 with npx).
lighthouse: install
	$(PY) bench/lighthouse.py --write-docs
