"""The screening worker: raw orders in, decisions, alerts and dead letters out."""
