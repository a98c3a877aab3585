"""babelflow: batch document translation with open models."""

__version__ = "0.1.0"
