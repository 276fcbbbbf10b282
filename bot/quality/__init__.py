"""Measures of served text against the model-quality targets."""
