"""The track library (store.py): tracks kept with their request, plan, seed, files and ratings,
in SQLite, per anonymous browser or signed-in user."""

from .store import SCHEMA_VERSION, Library, LibraryUnavailable, TrackRecord, data_folder

__all__ = ["SCHEMA_VERSION", "Library", "LibraryUnavailable", "TrackRecord", "data_folder"]
