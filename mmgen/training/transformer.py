"""Train `symbolic-transformer`: ``python -m mmgen.training.transformer [--steps N] [--resume]``."""

from .sequence import main

if __name__ == "__main__":
    main("transformer", steps=1800, dim=192, layers=4, batch=24, context=256, lr=1e-3)
