# Production topology (docs/deployment.md): two Rasa replicas on PostgreSQL +
# Redis, one action server, nginx in front. Included by the Makefile (-include mk/*.mk).
#   make run-prod         start it (URL printed; Ctrl-C stops everything)
#   make test-prod        everything below (in make test)
#   make test-prod-load   200 conversations x 10 turns over REST + socket.io, hostile input
#   make test-prod-faults restart everything; PostgreSQL, Redis, action server and a
#                         replica (SIGKILL) each failing under load
#   make bench-prod       benchmark: embedded default vs production (docs/performance.md)
#   make bench-compare    stock Rasa vs embedded default vs production, same run

TEST_TARGETS  += test-prod
BENCH_TARGETS += bench-prod bench-compare

PG_HOST    := 127.0.0.1
PG_PORT    := 5432
REDIS_HOST := 127.0.0.1
REDIS_PORT := 6379

.PHONY: run-prod prod-nginx prod-services test-prod test-prod-load test-prod-faults bench-prod \
        bench-compare

# Debian's nginx, installed only when it is missing.
prod-nginx: ## install Debian's nginx if missing
	@[ -x /usr/sbin/nginx ] || $(call apt_install,nginx,nginx)

# The machine's PostgreSQL and Redis, started (with the machine's own commands)
# only when nothing answers on their ports.
prod-services: ## start the machine's PostgreSQL and Redis if they do not answer
	@if $(call port_open,$(PG_HOST),$(PG_PORT)); then :; else \
	  echo "==> starting PostgreSQL"; \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	fi
	@if $(call port_open,$(REDIS_HOST),$(REDIS_PORT)); then :; else \
	  echo "==> starting Redis"; \
	  $(SUDO) redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
	    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log; \
	fi
	@$(call wait_port,$(PG_HOST),$(PG_PORT),30,PostgreSQL)
	@$(call wait_port,$(REDIS_HOST),$(REDIS_PORT),30,Redis)

# Never trains: the model must already be at $(MODEL).
run-prod: setup prod-nginx prod-services ## start the production topology here (never trains)
	$(PY) -m deploy.launch

test-prod: test-prod-load test-prod-faults ## every production topology test

test-prod-load: setup $(MODEL) prod-nginx prod-services ## 200 conversations, hostile input, floods
	$(VENV)/bin/pytest -q tests/prod/test_prod.py

# Its own PostgreSQL and Redis (testkit/services.py), so they can be restarted.
test-prod-faults: setup $(MODEL) prod-nginx prod-services ## restarts and failures under load
	$(VENV)/bin/pytest -q tests/prod/test_guard.py tests/prod/test_faults.py

bench-prod: setup prod-nginx prod-services ## embedded default vs production benchmark
	$(PY) scripts/bench_prod.py

# Stock Rasa (`rasa init`, trained once into var/stock-rasa) beside ours: ratios,
# growth over 300 turns, memory, hostile set and a 10,000-conversation soak.
bench-compare: setup $(MODEL) prod-nginx prod-services ## stock Rasa vs embedded default vs production
	$(PY) scripts/bench_compare.py
