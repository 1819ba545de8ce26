"""Loaders for labelled public datasets (see `registry` for the names `--format` accepts)."""
