"""Synthetic wearer: a scripted protocol rendered into plausible physiological signals."""
