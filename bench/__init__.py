"""`make bench`: broker, framework and pipeline throughput and latency, measured side by side."""
