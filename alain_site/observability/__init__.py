"""Observability: ALAIN's Prometheus metrics, JSON logs tied to a run and a request, and reports."""
