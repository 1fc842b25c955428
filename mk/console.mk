# Staff console (staff_console/): tests on SQLite and the local PostgreSQL, a
# browser test in Debian's chromium, and the 100k-conversation benchmark.
# Included by the Makefile (-include mk/*.mk).

TEST_TARGETS  += test-console
BENCH_TARGETS += bench-console

.PHONY: console-chromium console-admin console-migrate

# Debian's chromium for the browser test, installed only when it is missing
# (mk/web.mk may install it too; never a downloaded browser).
console-chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "==> installing Debian chromium"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update && \
	  $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y chromium; \
	fi

# Every console test; PostgreSQL is the machine's (127.0.0.1:5432, user postgres):
# the tests create and drop their own databases.
test-console: setup $(MODEL) console-chromium
	$(VENV)/bin/pytest -q tests/console

# Migrate the console's tables (also done at every start of the console).
console-migrate: setup
	$(PY) -m staff_console migrate

# make console-admin NAME=alice  (asks for the password)
console-admin: setup
	$(PY) -m staff_console create-admin $(NAME)

# 100,000 conversations / 2,000,000 events on SQLite and PostgreSQL: page times.
bench-console: setup
	$(PY) scripts/bench_console.py
