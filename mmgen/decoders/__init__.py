"""Decoders: MusicPlan -> tokens (score tokens, or audio tokens [B, K, T]). They are registered
by name in mmgen/components.py."""
