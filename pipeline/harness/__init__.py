"""Driving the pipeline from outside, as an operator would: worker subprocesses, free ports and a broker
of its own. `screening run`, the tests, the bench and the soak all start workers through it."""
