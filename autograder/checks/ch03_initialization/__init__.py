"""Chapter 3, Initialization: activation_stds, fans and gains, the initializers, and the transfer-learning helpers."""
