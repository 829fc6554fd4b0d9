"""Every Kafka client outside the faust worker: topics, admin, producing orders, read-back, reference
publishing and the hold workflow's I/O. Each kind of client is built in `clients.py` only."""
