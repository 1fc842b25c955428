# Production topology (docs/deployment.md): two Rasa replicas on PostgreSQL +
# Redis, one action server, nginx in front. Included by the Makefile (-include mk/*.mk).
#   make run-prod         start it (URL printed; Ctrl-C stops everything)
#   make test-prod        everything below (in make test)
#   make test-prod-load   200 conversations x 10 turns over REST + socket.io, hostile input
#   make test-prod-faults restart everything; PostgreSQL, Redis, action server and a
#                         replica (SIGKILL) each failing under load
#   make bench-prod       benchmark: embedded default vs production (docs/performance.md)

TEST_TARGETS  += test-prod
BENCH_TARGETS += bench-prod

PG_HOST    := 127.0.0.1
PG_PORT    := 5432
REDIS_HOST := 127.0.0.1
REDIS_PORT := 6379
SUDO_IF_NEEDED := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run-prod prod-nginx prod-services test-prod test-prod-load test-prod-faults bench-prod

# Debian's nginx, installed only when it is missing.
prod-nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  echo "==> installing Debian nginx"; \
	  $(SUDO_IF_NEEDED) apt-get update && \
	  $(SUDO_IF_NEEDED) env DEBIAN_FRONTEND=noninteractive apt-get install -y nginx; \
	fi

# The machine's PostgreSQL and Redis, started (with the machine's own commands)
# only when nothing answers on their ports.
prod-services:
	@if (exec 3<>/dev/tcp/$(PG_HOST)/$(PG_PORT)) 2>/dev/null; then :; else \
	  echo "==> starting PostgreSQL"; \
	  $(SUDO_IF_NEEDED) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	fi
	@if (exec 3<>/dev/tcp/$(REDIS_HOST)/$(REDIS_PORT)) 2>/dev/null; then :; else \
	  echo "==> starting Redis"; \
	  $(SUDO_IF_NEEDED) redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
	    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log; \
	fi
	@for i in $$(seq 1 30); do \
	  (exec 3<>/dev/tcp/$(PG_HOST)/$(PG_PORT)) 2>/dev/null && \
	  (exec 3<>/dev/tcp/$(REDIS_HOST)/$(REDIS_PORT)) 2>/dev/null && exit 0; sleep 1; \
	done; echo "PostgreSQL or Redis did not come up"; exit 1

# Never trains: the model must already be at $(MODEL).
run-prod: setup prod-nginx prod-services
	$(PY) -m deploy.launch

test-prod: test-prod-load test-prod-faults

test-prod-load: setup $(MODEL) prod-nginx prod-services
	$(VENV)/bin/pytest -q tests/prod/test_prod.py

# Its own PostgreSQL and Redis (tests/prod/services.py), so they can be restarted.
test-prod-faults: setup $(MODEL) prod-nginx prod-services
	$(VENV)/bin/pytest -q tests/prod/test_guard.py tests/prod/test_faults.py

bench-prod: setup prod-nginx prod-services
	$(PY) scripts/bench_prod.py
