"""Offline scripts that derive the statistics and assets the generator loads at run time."""
