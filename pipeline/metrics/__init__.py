"""Prometheus metrics: definitions, the observer the worker calls, hold-queue gauges, /metrics pages."""

from pipeline.metrics.holds import register_hold_queue_metrics
from pipeline.metrics.observer import MetricsObserver
from pipeline.metrics.web import metrics_handler, serve_metrics

__all__ = ["MetricsObserver", "metrics_handler", "register_hold_queue_metrics", "serve_metrics"]
