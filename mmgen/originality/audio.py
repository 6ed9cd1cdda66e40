"""Is a recording a copy of one the user points to? A cover-song-style similarity of audio.

The audio engines make recordings, not scores, so their check compares sound with sound: a
reference folder (the user's catalogue, a channel's earlier music) and the other takes of the
user's library. What must be caught is the same music however it was re-made: in another key, at
another tempo, mastered louder or duller. The method is the cover-song identification pipeline:

1. Features (`audio_features`): a constant-Q chromagram (12 pitch classes, octave-folded, so timbre and
   mastering matter little), median-aggregated between the beats the beat tracker finds and
   normalised per beat (max = 1) -> `[12, beats]`. One column a beat makes the sequence tempo-
   invariant (Ellis & Poliner 2007, "Identifying cover songs with chroma features and dynamic
   programming beat tracking"). Beats quieter than SILENT_RMS are zero columns: silence matches
   nothing.
2. Key: the optimal transposition index (OTI; Serrà, Gómez & Herrera 2008, "Transposing chroma
   representations to a common key"): the circular shift of one track's global chroma profile
   that best matches the other's; the second track is shifted by it before comparing.
3. Cross-recurrence + Qmax (Serrà, Serra & Andrzejak 2009, "Cross recurrence quantification for
   cover song identification"): each beat is embedded with its EMBED_BEATS - 1 predecessors
   (librosa.feature.stack_memory), two beats are linked when each is among the other's
   KAPPA-fraction nearest (mutual nearest neighbours, cosine) and their cosine is at least MIN_COS;
   librosa.sequence.rqa then finds the best local alignment through the links (Smith-Waterman
   with knight moves: a tempo drift is forgiven; gaps cost GAP_ONSET, GAP_EXTEND).
   The score (one a linked beat on the path) is normalised by the shorter track's embedded beats:
   1 = one track wholly in the other. The links are computed in numpy: librosa.segment.cross_similarity
   gives the same one-way links through sklearn, ~170 ms a direction for a 60 s track, against ~1.5 ms
   for this whole step; a similarity (five of them, see 4.) takes ~3 ms.
4. The beat tracker may count one track at half or double the other's tempo; the similarity is
   the best of the tracks as counted and either one at half its beat rate (pairs of beats
   averaged, from its first or its second beat).

The verdict: "copy" from COPY_AT, "similar" from SIMILAR_AT, else "original". Both were set with
benchmarks/originality_audio.py on composer tracks: copies (transposed, tempo-changed, both,
re-mastered, an excerpt) against unrelated tracks (other prompts, and the same prompt with other
seeds); the figures are in that script's docstring.

The features of reference files are cached under the data folder (one .npy a file, keyed by its
path, size and mtime), so the second check against the same folder only reads them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InvalidRequest

AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")
FEATURES_VERSION = 1  # bump when audio_features changes: cached features of the old kind are then ignored
FEATURE_RATE_HZ = 22050
HOP = 512  # ~23 ms frames
RMS_FRAME = 2048  # ~93 ms: the loudness frames that tell a silent beat
SILENT_RMS = 1e-4  # ~ -80 dBFS: a beat this quiet has no chroma
MAX_REFERENCE_S = 900.0  # a longer reference file is read up to here
# The alignment (Serrà et al. 2009's Qmax, tuned on composer tracks with the benchmark).
EMBED_BEATS = 4  # each beat with its 3 predecessors: a 4-beat (one bar) shape is compared
KAPPA = 0.1  # a beat links to its nearest 10% of the other track's beats...
MIN_COS = 0.9  # ...and only when they are this alike (cosine of the embedded chroma)
GAP_ONSET, GAP_EXTEND = 4.0, 2.0
MIN_BEATS = EMBED_BEATS + 2  # a sequence shorter than this compares as 0

# Verdicts, on the similarity 0..1. benchmarks/originality_audio.py (20 s composer tracks, seeds not used
# while tuning the parameters above): copies 0.98-1.00, unrelated tracks 0.00-0.56 (0.47 at most for the
# same prompt with another seed); on the tuning tracks copies 0.88-1.00, unrelated 0.00-0.44. COPY_AT sits
# between the two with margin on both sides; "similar" starts above every unrelated pair measured, so it
# means a long shared passage, not a shared chord loop.
SIMILAR_AT = 0.6
COPY_AT = 0.75
VERDICTS = ("original", "similar", "copy")


# -- features ---------------------------------------------------------------------------------------------------


def _mono(wave: np.ndarray) -> np.ndarray:
    """`[N]`, `[C, N]` or `[N, C]` (the channels are the shorter axis) -> float32 `[N]`."""
    w = np.asarray(wave, dtype=np.float32)
    if w.ndim == 1:
        return w
    if w.ndim != 2:
        raise InvalidRequest(f"Audio must be one or two dimensional (got shape {w.shape}).")
    return w.mean(axis=0 if w.shape[0] <= w.shape[1] else 1)


def audio_features(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """Beat-synchronous chroma of a recording: float32 `[12, beats]`, each column max-normalised
    (an all-zero column for a silent beat). `wave`: `[N]`, `[C, N]` or `[N, C]` at `sample_rate`."""
    import librosa
    import soxr

    y = _mono(wave)
    y = np.nan_to_num(y)
    if sample_rate != FEATURE_RATE_HZ:
        y = soxr.resample(y, sample_rate, FEATURE_RATE_HZ).astype(np.float32)
    if len(y) < FEATURE_RATE_HZ // 2:  # under half a second: nothing to compare
        return np.zeros((12, 0), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # librosa warns on silence (no beats, tuning estimate)
        # CQT, not STFT, chroma: its long bass windows keep a transposed copy's chroma the original's
        # (STFT chroma scored some +3-semitone copies 0.4; CQT 0.88 and up).
        chroma = librosa.feature.chroma_cqt(y=y, sr=FEATURE_RATE_HZ, hop_length=HOP)
        rms = librosa.feature.rms(y=y, frame_length=RMS_FRAME, hop_length=HOP)
        _, beats = librosa.beat.beat_track(y=y, sr=FEATURE_RATE_HZ, hop_length=HOP)
    if len(beats) < MIN_BEATS:  # no pulse (a drone, a free-time piece): a fixed half-second grid instead
        beats = np.arange(0, chroma.shape[1], int(0.5 * FEATURE_RATE_HZ / HOP))
    chroma = librosa.util.sync(chroma, beats, aggregate=np.median)
    loud = librosa.util.sync(rms, beats, aggregate=np.mean)[0] >= SILENT_RMS
    chroma = librosa.util.normalize(chroma, norm=np.inf, axis=0, threshold=1e-8, fill=False) * loud
    return np.ascontiguousarray(chroma, dtype=np.float32)


# -- similarity -------------------------------------------------------------------------------------------------


def optimal_transposition(a: np.ndarray, b: np.ndarray) -> int:
    """OTI: the shift k (0..11) for which `np.roll(b, k, axis=0)` best matches `a` (global chroma
    profiles of `[12, n]` and `[12, m]`)."""
    ga, gb = a.sum(axis=1), b.sum(axis=1)
    return int(np.argmax([ga @ np.roll(gb, k) for k in range(12)]))


def _embedded(x: np.ndarray) -> np.ndarray:
    """`[12, n]` -> `[12 * EMBED_BEATS, n - EMBED_BEATS + 1]`: beat i with beats i-1.. i-EMBED_BEATS+1, each
    column unit-length (zero stays zero). Only whole histories: an excerpt embeds as its original does."""
    import librosa

    e = librosa.feature.stack_memory(x, n_steps=EMBED_BEATS, mode="edge")[:, EMBED_BEATS - 1 :]
    return e / np.maximum(np.linalg.norm(e, axis=0, keepdims=True), 1e-9)


def _qmax(a: np.ndarray, b: np.ndarray) -> float:
    """Cross-recurrence + Qmax of two `[12, n]` sequences (b transposed to a's key), / shorter length."""
    import librosa

    if min(a.shape[1], b.shape[1]) < MIN_BEATS:
        return 0.0
    b = np.roll(b, optimal_transposition(a, b), axis=0)
    cos = _embedded(b).T @ _embedded(a)  # [m, n]
    m, n = cos.shape
    # Mutual nearest neighbours (what librosa.segment.cross_similarity computes one way, far quicker in numpy).
    k_row, k_col = max(1, round(KAPPA * n)), max(1, round(KAPPA * m))
    row_kth = -np.partition(-cos, k_row - 1, axis=1)[:, k_row - 1 : k_row]
    col_kth = -np.partition(-cos, k_col - 1, axis=0)[k_col - 1 : k_col, :]
    links = (cos >= row_kth) & (cos >= col_kth) & (cos >= MIN_COS)
    score = librosa.sequence.rqa(
        np.ascontiguousarray(links, dtype=np.float32),  # one dtype and layout: numba compiles rqa once
        gap_onset=GAP_ONSET,
        gap_extend=GAP_EXTEND,
        knight_moves=True,
        backtrack=False,
    )
    return float(min(1.0, score.max() / min(m, n)))


def _half_rate(x: np.ndarray, phase: int) -> np.ndarray:
    """`[12, n]` -> `[12, (n - phase) // 2]`: pairs of beats from `phase` (0 or 1) averaged, as if the beat
    tracker had counted half as fast."""
    x = x[:, phase:]
    n = x.shape[1] // 2 * 2
    h = (x[:, 0:n:2] + x[:, 1:n:2]) / 2
    return h / np.maximum(h.max(axis=0, keepdims=True), 1e-8)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """0..1 between two `audio_features` sequences `[12, n]` and `[12, m]`: 1 = one is wholly
    contained in the other (in any key, at any tempo), ~0 = nothing in common."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    halves = [(_half_rate(a, phase), b) for phase in (0, 1)] + [(a, _half_rate(b, phase)) for phase in (0, 1)]
    return max(_qmax(a, b), *(_qmax(x, y) for x, y in halves))


def verdict_for(value: float) -> str:
    return "copy" if value >= COPY_AT else "similar" if value >= SIMILAR_AT else "original"


# -- files and their cached features ----------------------------------------------------------------------------


def default_cache_dir() -> Path:
    from ..library.store import data_folder

    return data_folder() / "originality" / "audio-cache"


def read_file(path: Path, max_s: float = MAX_REFERENCE_S) -> tuple[np.ndarray, int]:
    """Decode an audio file to float32 `[N, C]` and its rate (soundfile; else librosa's audioread
    backend, for .m4a through ffmpeg). Raises whatever the decoders raise."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
        data, rate = sf.read(str(path), dtype="float32", always_2d=True, frames=int(max_s * info.samplerate))
        return data, int(rate)
    except Exception:
        if path.suffix.lower() != ".m4a":
            raise
    import librosa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # audioread's deprecation warning
        data, rate = librosa.load(str(path), sr=None, mono=False, duration=max_s)
    return np.atleast_2d(data).T, int(rate)


@dataclass
class FeatureCache:
    """`audio_features` of files, kept as `<sha>.npy` in `folder`; the sha covers the absolute path,
    size, mtime and FEATURES_VERSION, so an edited file is read again. Counts what it did."""

    folder: Path = field(default_factory=default_cache_dir)
    computed: int = 0  # files decoded and analysed
    from_cache: int = 0  # files whose features were read from the cache
    notes: list[str] = field(default_factory=list)  # one line for each file skipped

    def key(self, path: Path) -> str:
        stat = path.stat()
        ident = f"{FEATURES_VERSION}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        return hashlib.sha256(ident.encode()).hexdigest()[:32]

    def features(self, path: Path, title: str | None = None) -> np.ndarray | None:
        """`[12, beats]`, or None (with a note) when the file cannot be read as audio."""
        title = title or path.name
        try:
            cached = self.folder / f"{self.key(path)}.npy"
        except OSError:
            self.notes.append(f"Skipped {title}: it could not be opened.")
            return None
        if cached.is_file():
            try:
                feats = np.load(cached)
                if feats.ndim == 2 and feats.shape[0] == 12:
                    self.from_cache += 1
                    return feats
            except (OSError, ValueError):
                pass  # a damaged cache file: computed again below
        try:
            data, rate = read_file(path)
            if data.size == 0:
                raise ValueError("no samples")
            feats = audio_features(data, rate)
        except Exception:
            self.notes.append(f"Skipped {title}: it could not be read as audio.")
            return None
        self.computed += 1
        self._store(cached, feats)
        return feats

    def _store(self, cached: Path, feats: np.ndarray) -> None:
        """Written atomically (two checks at once never read half a file); a read-only data folder only costs speed."""
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                np.save(out, feats)
            os.replace(tmp, cached)
        except OSError:
            pass


class ReferenceFolder:
    """The audio files under `path` (recursively; .wav .mp3 .flac .ogg .m4a, hidden files left out),
    their features computed once and cached. Raises InvalidRequest when the folder is missing or
    holds no audio file; an unreadable file is skipped with a line in `notes`."""

    def __init__(self, path: str | Path, cache: FeatureCache | None = None):
        self.path = Path(path).expanduser()
        if not self.path.is_dir():
            raise InvalidRequest(f"The reference folder '{self.path}' does not exist or is not a folder.")
        self.files = sorted(
            p
            for p in self.path.rglob("*")
            if p.suffix.lower() in AUDIO_SUFFIXES
            and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(self.path).parts)
        )
        if not self.files:
            raise InvalidRequest(
                f"The reference folder '{self.path}' holds no audio files ({', '.join(AUDIO_SUFFIXES)}): "
                "put the music to compare with in it."
            )
        self.cache = cache or FeatureCache()
        self._entries: list[tuple[str, np.ndarray]] | None = None

    @property
    def notes(self) -> list[str]:
        return self.cache.notes

    def entries(self) -> list[tuple[str, np.ndarray]]:
        """(title: the path under the folder, features `[12, beats]`) of every readable file."""
        if self._entries is None:
            self._entries = []
            for file in self.files:
                title = file.relative_to(self.path).as_posix()
                feats = self.cache.features(file, title)
                if feats is not None:
                    self._entries.append((title, feats))
        return self._entries

    def nearest(self, features: np.ndarray) -> tuple[str | None, float]:
        """The most similar file to `features` `[12, beats]`: (its title, similarity 0..1); (None, 0.0)
        when no file could be read."""
        return _nearest(features, self.entries())


def _nearest(features: np.ndarray, entries: Iterable[tuple[str, np.ndarray]]) -> tuple[str | None, float]:
    best: tuple[str | None, float] = (None, 0.0)
    for title, feats in entries:
        value = similarity(features, feats)
        if best[0] is None or value > best[1]:
            best = (title, value)
    return best


# -- the check ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioCheck:
    """The verdict on one recording. `nearest`: the most similar file's title (None when there was
    nothing to compare with); `source`: where it is ("reference folder" or "library");
    `notes`: the files skipped."""

    verdict: str  # one of VERDICTS
    nearest: str | None
    similarity: float
    source: str = "reference folder"
    notes: tuple[str, ...] = ()

    def line(self) -> str:
        if self.nearest is None:
            return f"{self.verdict}: nothing to compare with (no readable reference audio)"
        return f"{self.verdict}: nearest in your {self.source}: {self.nearest} (similarity {self.similarity:.2f})"

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "nearest": self.nearest,
            "similarity": round(self.similarity, 3),
            "source": self.source,
            "notes": list(self.notes),
            "similar_at": SIMILAR_AT,
            "copy_at": COPY_AT,
        }


def check_audio(
    wave: np.ndarray,
    sample_rate: int,
    reference: ReferenceFolder | str | Path | None = None,
    library_files: Iterable[str | Path] = (),
    cache: FeatureCache | None = None,
) -> AudioCheck:
    """A recording (`[N]`, `[C, N]` or `[N, C]` at `sample_rate`) against a reference folder
    and the given library files (e.g. the user's other takes; leave out the take itself). A path
    given as `reference` must be a folder holding audio (else InvalidRequest). With nothing
    readable to compare with, the verdict is "original" and `nearest` None."""
    features = audio_features(wave, sample_rate)
    cache = cache or (reference.cache if isinstance(reference, ReferenceFolder) else FeatureCache())
    if reference is not None and not isinstance(reference, ReferenceFolder):
        reference = ReferenceFolder(reference, cache)
    candidates: list[tuple[str | None, float, str]] = []
    if reference is not None:
        candidates.append((*reference.nearest(features), "reference folder"))
    library = [(Path(p).name, cache.features(Path(p))) for p in library_files]
    candidates.append((*_nearest(features, [(t, f) for t, f in library if f is not None]), "library"))
    title, value, source = max(candidates, key=lambda c: (c[0] is not None, c[1]))
    notes = tuple(dict.fromkeys(cache.notes + (reference.notes if reference is not None else [])))
    if title is None:
        return AudioCheck("original", None, 0.0, notes=notes)
    return AudioCheck(verdict_for(value), title, value, source, notes)
