"""The PyPI side: interpreter discovery, venv-style prefixes, installed distributions, uv (the only runner)."""
