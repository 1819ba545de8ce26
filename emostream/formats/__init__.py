"""Readers (and writers) of recorded data: each returns a `Recording`."""
