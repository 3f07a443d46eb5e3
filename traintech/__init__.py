"""Training Techniques: reference implementations and course helpers."""
