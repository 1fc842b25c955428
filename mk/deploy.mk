# Container recipe and Kubernetes manifests (deploy/container/, deploy/kubernetes/;
# docs/deployment.md, "On Kubernetes"), checked offline. Included by the Makefile.
# No container engine runs here: the images are not built, their recipe is checked.

TEST_TARGETS += test-deploy

DEPLOY_VENV := .venv-deploy

# The manifest validator in a venv of its own: it needs a newer jsonschema than Rasa's.
$(STAMPS)/venv-deploy: requirements-deploy.txt
	@mkdir -p $(STAMPS)
	@if [ ! -x $(DEPLOY_VENV)/bin/python ]; then \
	  echo "==> creating $(DEPLOY_VENV) with Python 3.10"; \
	  "$$(scripts/find-python310.sh)" -m venv $(DEPLOY_VENV); \
	fi
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "pip==24.3.1"
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
	  -r requirements-deploy.txt
	$(DEPLOY_VENV)/bin/python -m pip check
	@touch $@

# Schemas (strict, Kubernetes 1.33 and 1.37), the policies, the Containerfile, the
# entry point's commands against launch.py's, the widget's nginx file (nginx -t).
test-deploy: $(STAMPS)/venv $(STAMPS)/venv-deploy prod-nginx ## container recipe, Kubernetes manifests (schemas offline, policies)
	$(VENV)/bin/pytest -q tests/deploy
