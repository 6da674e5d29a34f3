"""corral: environments for Python and ML work, built as atomic generations."""

__version__ = "0.1.0"
