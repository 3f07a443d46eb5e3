"""Training Techniques: the course's helpers (data, training, plots, tests and checks, diagnostics)."""
