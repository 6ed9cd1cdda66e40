"""Codecs: tokens -> waveform. They are registered by name in mmgen/components.py."""
