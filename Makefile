# Two commands on a fresh clone:
#   make serve   install everything, build the embedder and the seed index if missing, serve on :8000
#   make test    run the whole test suite (installs Debian's chromium for the browser test)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: serve test test-fast lint install prepare chromium bench eval

serve: prepare
	$(PY) -m service

install: $(VENV)/.installed

# The last step adds the `newsqa` command, on the pinned dependencies installed before it.
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt
	$(VENV)/bin/pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

prepare: install
	$(PY) -m index prepare

# Debian's chromium drives the browser test; a CJK font makes its screenshots legible.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ]; } || { \
	  echo "installing Debian's chromium and fonts-noto-cjk for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; }

test: lint chromium
	$(PY) -m pytest -q -p no:cacheprovider

# Everything that needs neither the real embedder nor a browser and is not slow (under a minute).
test-fast: install
	$(PY) -m pytest -q -p no:cacheprovider -m "not slow and not model and not browser"

# ruff (rules in pyproject.toml) over the tree, mypy over index/ and service/.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

eval: install
	$(PY) -m index eval --qa ../shared/eval/seed_qa.jsonl
	$(PY) -m index eval --qa bench/dev_qa.jsonl

bench: prepare
	$(PY) -m bench
