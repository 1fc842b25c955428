"""Offline checks of the container recipe and the Kubernetes manifests (make test-deploy)."""
