"""Symbolic music for the learned decoders: lead-sheet tokens (tokenizer, dataset), the sequence
models and their constrained sampler, and the event grids with their VAE, diffusion (melody) and GAN
(multi-track) models."""
