"""Train `symbolic-diffusion`: ``python -m mmgen.training.diffusion [--steps N] [--resume]``."""

from .grid import main

if __name__ == "__main__":
    main("diffusion", steps=6000, batch=64, lr=5e-4)
