"""hetao: split-line management for a cross-boundary science and technology innovation zone."""

__version__ = "0.1.0"
