"""`screening run`: topics, a worker, the bundled sample orders and a table of their routes."""
