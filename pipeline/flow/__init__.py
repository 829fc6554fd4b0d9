"""The broker-free stateful order flow of one worker: order state, current decisions, licence desk,
re-screening and retention, wired in `wiring.OrderFlow` for the worker, the bench and the tests."""
