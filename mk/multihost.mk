# The production topology over real network boundaries (docs/deployment.md,
# "Several hosts"): PostgreSQL + Redis, each Rasa replica, the action server and
# nginx each in its own Linux network namespace with its own address, the client
# reaching only nginx. Included by the Makefile (-include mk/*.mk).
#   make test-multihost   200 conversations through the edge, exact log check;
#                         one app host's link cut mid-load, then restored
# Needs root (network namespaces, veth links); skipped with the reason otherwise.

TEST_TARGETS += test-multihost

.PHONY: test-multihost

# iproute2 (ip, ss) and curl from Debian when missing, only as root (as root the
# test runs; otherwise it is skipped and nothing is installed). $(SUDO) is empty as root.
test-multihost: setup $(MODEL) prod-nginx ## 200 conversations over network namespaces, an app host's link cut mid-load
	@if [ -z "$(SUDO)" ]; then \
	  $(call apt_install,iproute2,/usr/sbin/ip); \
	  $(call apt_install,curl,curl); \
	fi
	$(VENV)/bin/pytest -q -rs tests/multihost
