"""Train `symbolic-vae`: ``python -m mmgen.training.vae [--steps N] [--resume]``."""

from .grid import main

if __name__ == "__main__":
    main("vae", steps=3000, batch=64, lr=1e-3)
