"""Live music: a session that plays without end, a bar at a time, and follows its controls
(energy, style or mood, tempo, key) from the next bar (session.py); phrases written ahead by a
score engine (writer.py), played by one FluidSynth kept running (synth.py)."""

from .session import LiveChunk, LiveSession
from .synth import live_availability
from .writer import LiveControls

__all__ = ["LiveChunk", "LiveControls", "LiveSession", "live_availability"]
