"""Diffusion decoders of audio: ACE-Step 1.5 and Stable Audio 3 through diffusers, driven by the plan."""
