"""Steady-load soak run and the order stream it shares with the fault-injection tests."""
