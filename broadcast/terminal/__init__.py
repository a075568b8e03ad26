"""How plans, progress, outcomes and reports look in a terminal (the only place that knows one)."""
