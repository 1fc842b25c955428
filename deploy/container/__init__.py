"""Container recipe and per-process entry point (docs/deployment.md, On Kubernetes)."""
