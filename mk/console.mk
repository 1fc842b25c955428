# Staff console (staff_console/): tests on SQLite and the local PostgreSQL, a
# browser test in Debian's chromium, and the 100k-conversation benchmark.
# Included by the Makefile (-include mk/*.mk).

TEST_TARGETS  += test-console
BENCH_TARGETS += bench-console

.PHONY: console-chromium console-admin console-migrate import-reviewed

console-chromium: $(CHROMIUM) ## Debian's chromium for the console's browser test

# Every console test; PostgreSQL is the machine's (127.0.0.1:5432, user postgres):
# the tests create and drop their own databases.
test-console: setup $(MODEL) console-chromium ## console tests on SQLite and PostgreSQL, browser test
	$(VENV)/bin/pytest -q tests/console

# Migrate the console's tables (also done at every start of the console).
console-migrate: setup ## migrate the console's tables
	$(PY) -m staff_console migrate

# make console-admin NAME=alice  (asks for the password)
console-admin: setup ## create a console admin: make console-admin NAME=alice
	$(PY) -m staff_console create-admin $(NAME)

# make import-reviewed DIR=path/to/export: merge a console training export (the Inbox's zip,
# or the folder `python -m staff_console export-training --out DIR` wrote) into data/nlu/reviewed.yml,
# tests/triage_cases_reviewed.yml and tests/test_stories.yml (docs/console.md).
import-reviewed: setup ## merge a console training export: make import-reviewed DIR=path
	@test -n "$(DIR)" || { echo "usage: make import-reviewed DIR=path/to/export(.zip)"; exit 2; }
	PYTHONPATH=. $(PY) scripts/import_reviewed.py "$(DIR)"

# 100,000 conversations / 2,000,000 events on SQLite and PostgreSQL: page times.
bench-console: setup ## 100k-conversation console benchmark
	$(PY) scripts/bench_console.py
