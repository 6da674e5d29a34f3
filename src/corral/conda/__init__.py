"""The conda side: the only package that imports rattler."""
