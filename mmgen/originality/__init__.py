"""Originality: is a take a copy of something the models learned from?

features.py (melody and chord codes) -> index.py (the known pieces, n-gram tables) -> match.py
(longest run, phrase alignment) -> check.py (the verdict) -> takes.py (every score take checked
in the pipeline, a copy written again) and report.py (`python -m mmgen check FILE`); audio.py
compares recordings with a reference folder; calibrate.py sets the thresholds."""
