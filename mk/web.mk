# Web chat widget (web/): npm packages from the committed lock file, the
# bundle in web/dist, Debian's chromium for the browser tests, and the tests.
# Included by the Makefile (-include mk/*.mk).

WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/vite.config.js

SETUP_TARGETS += $(STAMPS)/web-npm $(STAMPS)/web-build $(CHROMIUM)
TEST_TARGETS  += test-web-unit test-web-e2e

.PHONY: web-build test-web widget-texts

test-web: test-web-unit test-web-e2e ## every widget test (unit and browser)

# npm ci installs exactly what web/package-lock.json records.
$(STAMPS)/web-npm: web/package.json web/package-lock.json
	@mkdir -p $(STAMPS)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# web/dist: widget.js (one self-contained file) and the demo pages.
$(STAMPS)/web-build: $(STAMPS)/web-npm $(WEB_SOURCES)
	cd web && npm run --silent build
	@touch $@

web-build: $(STAMPS)/web-build ## build the widget bundle (web/dist)

# The widget's disclaimer and fallback numbers, from content/ (tests/unit/test_one_source.py
# checks that web/src/content.json holds what this writes).
widget-texts: setup ## write content/'s disclaimer and numbers into web/src/content.json
	$(PY) scripts/widget_texts.py

# Unit tests of the widget's logic (jsdom).
test-web-unit: $(STAMPS)/web-npm ## the widget's unit tests (vitest, jsdom)
	cd web && npx vitest run

# The demo page in headless chromium against the real Rasa and action servers,
# plus the axe-core scan and the screenshots in docs/screenshots/.
test-web-e2e: setup $(MODEL) ## the demo page in chromium against the real servers
	$(VENV)/bin/pytest -q tests/web
