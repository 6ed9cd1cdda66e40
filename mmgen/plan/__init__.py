"""The plan: what the piece will be, decided before a note is written.

data.py     MusicPlan and Section: the plan's data, its timeline and explanation
choices.py  features and cues -> style, moods, meter, key, tempo, instruments
form.py     the sections: intro / body / outro, sections at cuts, the song form of lyrics
fitting.py  the beat grid fitted to a video's cuts
build.py    build_plan: the parts joined
"""

from .build import build_plan
from .data import MusicPlan, Section, phrase_bars

__all__ = ["MusicPlan", "Section", "build_plan", "phrase_bars"]
