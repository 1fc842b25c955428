# Integrations (docs/integrations.md): the partner and callback channels, the
# messengers, the RabbitMQ event stream. Included by the Makefile (-include mk/*.mk).

TEST_TARGETS += test-integrations

RABBITMQ_HOST := 127.0.0.1
RABBITMQ_PORT := 5672

.PHONY: rabbitmq integrations-config

# The machine's local RabbitMQ (guest/guest), started only if nothing answers on its port.
rabbitmq: ## start the machine's RabbitMQ if nothing answers on its port
	@if $(call port_open,$(RABBITMQ_HOST),$(RABBITMQ_PORT)); then \
	  echo "==> RabbitMQ is running on $(RABBITMQ_HOST):$(RABBITMQ_PORT)"; \
	else \
	  echo "==> starting RabbitMQ (rabbitmq-server -detached)"; \
	  $(SUDO) rabbitmq-server -detached; \
	  $(call wait_port,$(RABBITMQ_HOST),$(RABBITMQ_PORT),60,RabbitMQ); \
	fi

# What `make run` would switch on with the current environment (no secrets printed).
integrations-config: setup ## what `make run` would switch on with this environment
	$(PY) -m server --dry-run --out var

# The partner/callback channels, the messengers
# against fake provider APIs, and the event stream on the local RabbitMQ, each module
# against its own real Rasa + action servers.
test-integrations: setup $(MODEL) rabbitmq ## partner, callback, messengers, event stream, hostile input, isolation
	$(VENV)/bin/pytest -q tests/integrations
