"""Music a game engine can take in: intensity layers, segments, stingers and their manifest
(kit.py), built from one seamless loop.

    track = generate(GenerationRequest(prompt="chiptune level music", duration_s=16, loop=True))
    build_game_kit(track).save("level.zip")
"""

from .kit import GameKit, build_game_kit

__all__ = ["GameKit", "build_game_kit"]
