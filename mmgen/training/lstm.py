"""Train `symbolic-lstm`: ``python -m mmgen.training.lstm [--steps N] [--resume]``."""

from .sequence import main

if __name__ == "__main__":
    main("lstm", steps=1600, dim=256, layers=2, batch=24, context=256, lr=2e-3)
