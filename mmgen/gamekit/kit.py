"""A game kit from one seamless loop: three intensity layers (each with its stems), the plan's
sections as segments with entry and exit cues, two stingers, and a JSON manifest that says how
they fit together, in one ZIP (see the README's "Game kit" section for FMOD and Wwise).

Everything is rendered by the studio codec from the loop's own score and takes the loop's
mastering gain, so the pieces keep its levels against each other; the limiter still holds each
one under -1 dBTP."""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..codecs.base import Waveform
from ..errors import InvalidRequest
from ..eval.metrics import integrated_loudness_lufs
from ..post.export import atomic_write, export, write_audio
from ..post.master import master
from ..post.provenance import provenance_fields
from ..post.stems import stem_parts
from ..tokens import ScoreTokens
from ..version import __version__
from .layers import Layer, intensity_layers
from .scores import hit_score, rise_score, section_score

TAIL_S = 6.0  # rendered past a segment's exit (the longest room decays within it), then trimmed
DECAYED_DB = -60.0  # a tail is cut where it has fallen this far under the piece's peak
KIT_SUFFIX = ".zip"


@dataclass
class Piece:
    """A segment or stinger: its audio (cues on bar lines), and what the manifest says of it."""

    name: str
    wave: Waveform
    info: dict = field(default_factory=dict)


@dataclass
class GameKit:
    layers: list[Layer]
    stems: dict[str, np.ndarray]  # role -> float32 [C, N], mastered: each layer sums some of them
    segments: list[Piece]
    stingers: list[Piece]
    score: ScoreTokens
    manifest: dict
    rate: int
    tags: dict = field(default_factory=dict)  # provenance fields every file of the kit carries

    def summary(self) -> str:
        """One line: what the kit holds."""
        layers = ", ".join(f"{layer.name} ({'+'.join(layer.stems)})" for layer in self.layers)
        return f"layers {layers}; {len(self.segments)} segment(s); stingers {', '.join(s.name for s in self.stingers)}"

    def save(self, path: str | Path) -> Path:
        """The kit as one ZIP (written beside `path` and renamed into place)."""
        target = Path(path).expanduser()
        if target.suffix.lower() != KIT_SUFFIX:
            raise InvalidRequest(f"I can't write '{target.name}': a game kit's file name must end in .zip.")
        if not target.parent.is_dir():
            raise InvalidRequest(f"The folder '{target.parent}' does not exist.")

        def write(tmp: str) -> None:
            with tempfile.TemporaryDirectory() as work, zipfile.ZipFile(tmp, "w") as kit:
                for name, data in self._files(Path(work)):
                    compress = zipfile.ZIP_STORED if name.endswith(".wav") else zipfile.ZIP_DEFLATED
                    kit.write(data, name, compress_type=compress)

        return atomic_write(target, write)

    def _files(self, work: Path):
        """(name in the ZIP, file written under `work`) for everything the manifest names."""
        loop = (0, self.layers[0].samples.shape[-1])
        for layer in self.layers:
            yield self._audio(work, f"layers/{layer.name}.wav", Waveform(layer.samples, self.rate, loop_points=loop))
        for role, stem in self.stems.items():
            yield self._audio(work, f"stems/{role}.wav", Waveform(stem, self.rate, loop_points=loop))
        for role, parts in stem_parts(self.score, list(self.stems)).items():
            if parts:
                name = f"stems/{role}.mid"
                yield name, export(_target(work, name), None, _with_parts(self.score, parts), self.tags)
        for piece in [*self.segments, *self.stingers]:
            yield self._audio(work, piece.info["file"], piece.wave)
        manifest = _target(work, "manifest.json")
        manifest.write_text(json.dumps(self.manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        yield "manifest.json", manifest

    def _audio(self, work: Path, name: str, wave: Waveform) -> tuple[str, Path]:
        """32-bit float, as the stems must be to sum to the mix (post/export.write_audio)."""
        return name, write_audio(wave, _target(work, name), unclipped=True, tags=self.tags)


def _target(work: Path, name: str) -> Path:
    path = work / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _with_parts(score: ScoreTokens, parts: list) -> ScoreTokens:
    return replace(score, parts=parts)


def build_game_kit(track, codec=None) -> GameKit:
    """The kit of `track`, a produced seamless loop (`generate(..., loop=True)` with a score
    engine and the produced sound). `codec`: the studio codec to render with (made if absent)."""
    score = track.tokens
    if getattr(score, "kind", "") != "score" or not track.audio.stems or not track.audio.loop_points:
        raise InvalidRequest(
            "A game kit is made from a seamless loop of a score engine with the produced sound: "
            "tick Make it loop (or pass --loop) with an engine such as the composer."
        )
    if codec is None:
        from ..codecs.studio import StudioCodec

        codec = StudioCodec()
    plan, rate, gain_db = track.plan, track.audio.sample_rate_hz, track.mastering.gain_db
    stems = {role: track.audio.stems[role] for role in track.audio.stems}
    bars = plan.total_bars
    density = {
        role: sum(len(p.notes) for p in parts) / max(1, bars) for role, parts in stem_parts(score, list(stems)).items()
    }
    layers = intensity_layers(stems, density)
    bar_s = plan.bar_s

    def rendered(piece_score: ScoreTokens, cues: list[tuple[float, str]]) -> Waveform:
        wave = _trimmed(codec.decode(piece_score), max(s for s, _ in cues))
        wave, _ = master(wave, gain_db=gain_db)
        wave.cues = [(int(round(s * rate)), label) for s, label in cues]
        return wave

    segments = []
    for i, section in enumerate(plan.sections):
        name = f"{i + 1:02d}-{_slug(section.name)}"
        exit_s = section.bars * bar_s
        wave = rendered(section_score(score, plan, section, TAIL_S), [(0.0, "entry"), (exit_s, "exit")])
        info = {
            "name": name,
            "file": f"segments/{name}.wav",
            "section": section.name,
            "role": section.role,
            "start_bar": section.start_bar,
            "bars": section.bars,
            "entry_s": 0.0,
            "exit_s": round(exit_s, 6),
            "entry_sample": 0,
            "exit_sample": wave.cues[1][0],
            "tail_s": round(wave.duration_s - exit_s, 3),
            "energy": round(section.energy, 3),
        }
        segments.append(Piece(name, wave, info))
    for piece, nexts in zip(segments, _follows([s.info["role"] for s in segments])):
        piece.info["next"] = [segments[j].name for j in nexts]

    hit = rendered(hit_score(score, plan.key, plan.meter, TAIL_S), [(0.0, "hit")])
    rise = rendered(rise_score(score, plan.key, plan.meter, TAIL_S), [(0.0, "entry"), (2 * bar_s, "landing")])
    stingers = [
        Piece("hit", hit, {"name": "hit", "file": "stingers/hit.wav", "bars": 1, "play": "on a bar line"}),
        Piece(
            "rise",
            rise,
            {
                "name": "rise",
                "file": "stingers/rise.wav",
                "bars": 2,
                "landing_s": round(2 * bar_s, 6),
                "landing_sample": rise.cues[1][0],
                "play": "two bars before the bar line it lands on",
            },
        ),
    ]
    for piece in stingers:
        piece.info["length_s"] = round(piece.wave.duration_s, 3)
    manifest = _manifest(track, layers, stems, segments, stingers, score)
    manifest["provenance"] = tags = provenance_fields(track)
    return GameKit(layers, stems, segments, stingers, score, manifest, rate, tags)


def _follows(roles: list[str]) -> list[list[int]]:
    """For each segment, those that may follow it: the next in the plan (the last leads back to
    the first, as the loop does), and whatever follows another segment of the same role."""
    n = len(roles)
    nexts = []
    for i, role in enumerate(roles):
        allowed = [(i + 1) % n] + [(j + 1) % n for j in range(n) if roles[j] == role and j != i]
        nexts.append(sorted(set(allowed)))
    return nexts


def _trimmed(wave: Waveform, keep_s: float) -> Waveform:
    """Cut the tail once it has decayed (DECAYED_DB under the peak), never before `keep_s`."""
    rate = wave.sample_rate_hz
    level = np.abs(wave.samples).max(axis=0)
    floor = level.max() * 10 ** (DECAYED_DB / 20)
    loud = np.flatnonzero(level > floor)
    end = max(int(round(keep_s * rate)) + 1, int(loud[-1]) + int(0.05 * rate) if loud.size else 0)
    end = min(end, wave.samples.shape[-1])
    stems = {role: stem[:, :end] for role, stem in wave.stems.items()} if wave.stems else None
    return Waveform(wave.samples[:, :end], rate, stems=stems, notes=dict(wave.notes))


def _slug(name: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in name).strip("-")
    return cleaned.replace("--", "-") or "section"


def _manifest(track, layers, stems, segments, stingers, score: ScoreTokens) -> dict:
    plan, rate = track.plan, track.audio.sample_rate_hz
    length = track.audio.samples.shape[-1]
    played_by = {role: [layer.name for layer in layers if role in layer.stems] for role in stems}
    midi = {role for role, parts in stem_parts(score, list(stems)).items() if parts}
    return {
        "kit": "mmgen game kit",
        "version": 1,
        "made_with": f"mmgen {__version__}",
        "prompt": plan.prompt,
        "seed": track.request.seed,
        "style": plan.style_label,
        "key": plan.key.name,
        "tempo_bpm": round(plan.tempo_bpm, 4),
        "meter": plan.meter.name,
        "beats_per_bar": plan.meter.beats_per_bar,
        "bar_s": round(plan.bar_s, 6),
        "sample_rate_hz": rate,
        "loudness_lufs": round(track.mastering.loudness_lufs, 2),
        "loop": {"bars": plan.total_bars, "length_s": round(length / rate, 6), "length_samples": length},
        "layers": [
            {
                "name": layer.name,
                "file": f"layers/{layer.name}.wav",
                "stems": layer.stems,
                "loudness_lufs": round(integrated_loudness_lufs(layer.samples, rate), 2),
                "notes_per_bar": layer.notes_per_bar,
            }
            for layer in layers
        ],
        "stems": [
            {
                "name": role,
                "file": f"stems/{role}.wav",
                **({"midi": f"stems/{role}.mid"} if role in midi else {}),
                "layers": played_by[role],
            }
            for role in stems
        ],
        "segments": [piece.info for piece in segments],
        "stingers": [piece.info for piece in stingers],
    }
