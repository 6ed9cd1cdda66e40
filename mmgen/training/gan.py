"""Train `symbolic-gan`: ``python -m mmgen.training.gan [--steps N] [--resume]`` (steps count
generator updates; each follows 5 critic updates)."""

from .grid import main

if __name__ == "__main__":
    main("gan", steps=2400, batch=64, lr=2e-4, hidden=128)
