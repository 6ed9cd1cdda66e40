"""The decoder role: MusicPlan (+ conditioning) -> tokens."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from ..plan import MusicPlan
from ..tokens import AudioTokens, ScoreTokens

# progress(fraction_done 0..1, message) — lets long decoders report inside their step.
ProgressFn = Callable[[float, str], None]
# on_frames(codes [B, K, n], codec_model, channels) — audio-token decoders that stream pass on
# each run of finished frames as soon as it is known.
FramesFn = Callable[[object, object, int], None]


class Decoder(ABC):
    """Emits tokens for one plan. `token_kind` names the codec family: "score" or "audio"."""

    token_kind: str = "score"
    default_codec: str = "soundfont"

    @abstractmethod
    def decode(
        self, plan: MusicPlan, seed: int, conditioning: dict | None = None, progress: ProgressFn | None = None
    ) -> ScoreTokens | AudioTokens:
        """Return tokens whose rendering lasts exactly `plan.duration_s`. Deterministic for a seed."""

    def decode_many(
        self,
        plans: list[MusicPlan],
        seeds: list[int],
        sampling=None,
        conditioning: dict | None = None,
        progress: ProgressFn | None = None,
        on_frames: FramesFn | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[ScoreTokens | AudioTokens]:
        """One take per (plan, seed). `sampling` carries top_k / top_p / temperature /
        guidance_scale for decoders that sample; `conditioning` extra inputs such as
        {"continue": AudioClip}; `on_frames` is for decoders that stream (others ignore it);
        `should_stop()` lets decoders that run long stop early (raising Cancelled).
        Decoders that can batch override this."""
        return [
            self.decode(plan, seed, conditioning=conditioning, progress=progress) for plan, seed in zip(plans, seeds)
        ]
