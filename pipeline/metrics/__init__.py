"""Prometheus metrics of the screening worker: definitions, the observer the worker calls, /metrics."""

from pipeline.metrics.observer import MetricsObserver
from pipeline.metrics.web import serve_metrics

__all__ = ["MetricsObserver", "serve_metrics"]
