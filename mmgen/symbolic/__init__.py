"""Symbolic music for the learned decoders: lead-sheet tokens (tokenizer, dataset), the sequence
models and their constrained sampler, and the melody grids with their VAE, GAN and diffusion models."""
