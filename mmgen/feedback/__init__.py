"""Learning from ratings: what a take is (features.py), which rated takes make pairs (pairs.py),
and the reward model that learns a user's preferences from them (reward.py)."""

from .reward import RewardModel, taste_model

__all__ = ["RewardModel", "taste_model"]
