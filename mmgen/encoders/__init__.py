"""Encoders: user inputs -> features the planner reads. Each registers itself here by name."""

from ..registry import register
from .text import text_encoder_availability

register(
    "encoder", "text", "mmgen.encoders.text:TextEncoder",
    "all-MiniLM-L6-v2 sentence embeddings scored against a vocabulary of musical descriptors.",
    check=text_encoder_availability,
)
