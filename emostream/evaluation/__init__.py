"""Evaluation of the online model on labelled datasets: protocols, references, statistics."""
