"""Batch runs on Ray: a manifest of requests (CSV or JSON Lines) made into a folder of tracks, on
this machine or a Ray cluster, resumable and exact. `python -m mmgen batch MANIFEST --out DIR`.

manifest.py reads and checks the rows, worker.py makes one (on a Ray worker), outputs.py writes
its files atomically, results.py keeps the results manifest, runner.py runs it all on Ray.
"""

from .runner import BatchSummary, run

__all__ = ["BatchSummary", "run"]
