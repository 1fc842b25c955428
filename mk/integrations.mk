# Integrations (docs/integrations.md): the partner and callback channels, the
# messengers, the RabbitMQ event stream. Included by the Makefile (-include mk/*.mk).

TEST_TARGETS += test-integrations

RABBITMQ_HOST := 127.0.0.1
RABBITMQ_PORT := 5672

.PHONY: rabbitmq integrations-config

# The machine's local RabbitMQ (guest/guest), started only if nothing answers on its port.
rabbitmq:
	@if (exec 3<>/dev/tcp/$(RABBITMQ_HOST)/$(RABBITMQ_PORT)) 2>/dev/null; then \
	  echo "==> RabbitMQ is running on $(RABBITMQ_HOST):$(RABBITMQ_PORT)"; \
	else \
	  echo "==> starting RabbitMQ (rabbitmq-server -detached)"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) rabbitmq-server -detached; \
	  for i in $$(seq 1 60); do \
	    (exec 3<>/dev/tcp/$(RABBITMQ_HOST)/$(RABBITMQ_PORT)) 2>/dev/null && exit 0; sleep 1; \
	  done; echo "RabbitMQ did not come up on port $(RABBITMQ_PORT)"; exit 1; \
	fi

# What `make run` would switch on with the current environment (no secrets printed).
integrations-config: setup
	$(PY) -m channels.launch --dry-run --out var

# Channel helpers (no servers), then the partner/callback channels, the messengers
# against fake provider APIs, and the event stream on the local RabbitMQ, each module
# against its own real Rasa + action servers.
test-integrations: setup $(MODEL) rabbitmq
	$(VENV)/bin/pytest -q tests/integrations
