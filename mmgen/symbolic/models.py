"""Sequence models over lead-sheet tokens: a decoder-only Transformer with rotary positions and
an LSTM with attention. Both expose the same step interface for cached sampling:

    logits, state = model.step(tokens [B, T], state)   # logits [B, T, V]

where `state` is None at the start (then `tokens` is the whole prompt) and the returned state
continues the sequence (a KV cache, or LSTM hidden state + attention memory).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class SequenceConfig:
    family: str  # "transformer" | "lstm"
    vocab_size: int
    dim: int = 256
    layers: int = 4
    heads: int = 4
    ff_mult: int = 4
    context: int = 512  # longest sequence seen in training; sampling slides past it
    dropout: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


def build_model(config: SequenceConfig) -> nn.Module:
    return {"transformer": TransformerLM, "lstm": AttentionLSTM}[config.family](config)


def rotary_table(head_dim: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(cos, sin) [length, head_dim // 2] of the RoPE angles of positions 0..length-1."""
    half = head_dim // 2
    freqs = 1.0 / (10000 ** (torch.arange(half, dtype=torch.float32) / half))
    angles = torch.arange(length, dtype=torch.float32)[:, None] * freqs[None, :]
    return angles.cos(), angles.sin()


def rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs of channels of x [B, H, T, Dh] by the angles of its positions (cos, sin
    [T, Dh // 2]: RoPE)."""
    half = x.shape[-1] // 2
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


class Block(nn.Module):
    def __init__(self, c: SequenceConfig) -> None:
        super().__init__()
        self.heads = c.heads
        self.norm1, self.norm2 = nn.LayerNorm(c.dim), nn.LayerNorm(c.dim)
        self.qkv = nn.Linear(c.dim, 3 * c.dim, bias=False)
        self.out = nn.Linear(c.dim, c.dim, bias=False)
        self.ff = nn.Sequential(nn.Linear(c.dim, c.ff_mult * c.dim), nn.GELU(), nn.Linear(c.ff_mult * c.dim, c.dim))
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, angles: tuple[torch.Tensor, torch.Tensor], cache: tuple | None):
        """x [B, T, D]; angles (cos, sin) of the T positions; cache (k, v) [B, H, S, Dh] of the S
        earlier positions, or None."""
        B, T, D = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        q, k = rotary(q, *angles), rotary(k, *angles)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        # Causal within the new tokens; all cached positions are visible.
        causal = cache is None or T > 1
        if cache is not None and T > 1:
            S = k.shape[2] - T
            mask = torch.ones(T, S + T, dtype=torch.bool, device=x.device).tril(S)
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            attended = F.scaled_dot_product_attention(
                q, k, v, is_causal=causal and cache is None, dropout_p=self.drop.p if self.training else 0.0
            )
        x = x + self.drop(self.out(attended.transpose(1, 2).reshape(B, T, D)))
        x = x + self.drop(self.ff(self.norm2(x)))
        return x, (k, v)


class TransformerLM(nn.Module):
    """Decoder-only Transformer, pre-norm, rotary positions, tied input/output embeddings."""

    def __init__(self, c: SequenceConfig) -> None:
        super().__init__()
        self.config = c
        self.embed = nn.Embedding(c.vocab_size, c.dim)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.norm = nn.LayerNorm(c.dim)
        self.apply(_init)
        cos, sin = rotary_table(c.dim // c.heads, 2 * c.context)  # sampling slides before 2x context
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [B, T] -> logits [B, T, V] (training: causal over the whole window)."""
        return self.step(tokens, None)[0]

    def step(self, tokens: torch.Tensor, state: dict | None):
        start = 0 if state is None else state["length"]
        end = start + tokens.shape[1]
        angles = (self.cos[start:end], self.sin[start:end])
        x = self.embed(tokens)
        caches = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, angles, None if state is None else state["kv"][i])
            caches.append(kv)
        logits = self.norm(x) @ self.embed.weight.T
        return logits, {"kv": caches, "length": start + tokens.shape[1]}


class AttentionLSTM(nn.Module):
    """A stacked LSTM whose output attends (causally, one head) to its own earlier outputs, in
    the manner of the attention RNNs of melody generation; tied embeddings."""

    def __init__(self, c: SequenceConfig) -> None:
        super().__init__()
        self.config = c
        self.embed = nn.Embedding(c.vocab_size, c.dim)
        self.lstm = nn.LSTM(
            c.dim, c.dim, num_layers=c.layers, batch_first=True, dropout=c.dropout if c.layers > 1 else 0.0
        )
        self.query, self.key = nn.Linear(c.dim, c.dim, bias=False), nn.Linear(c.dim, c.dim, bias=False)
        self.mix = nn.Linear(2 * c.dim, c.dim)
        self.norm = nn.LayerNorm(c.dim)
        self.drop = nn.Dropout(c.dropout)
        self.apply(_init)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.step(tokens, None)[0]

    def step(self, tokens: torch.Tensor, state: dict | None):
        hidden = None if state is None else state["hidden"]
        out, hidden = self.lstm(self.drop(self.embed(tokens)), hidden)  # [B, T, D]
        keys = self.key(out)
        if state is not None:
            memory_keys = torch.cat([state["keys"], keys], dim=1)
            memory = torch.cat([state["memory"], out], dim=1)
        else:
            memory_keys, memory = keys, out
        window = self.config.context
        memory_keys, memory = memory_keys[:, -window:], memory[:, -window:]
        T, S = out.shape[1], memory.shape[1]
        mask = torch.ones(T, S, dtype=torch.bool, device=tokens.device).tril(S - T)
        scores = (self.query(out) @ memory_keys.transpose(1, 2)) / math.sqrt(out.shape[-1])
        context = scores.masked_fill(~mask, float("-inf")).softmax(-1) @ memory
        x = self.norm(self.mix(self.drop(torch.cat([out, context], dim=-1))))
        logits = x @ self.embed.weight.T
        return logits, {"hidden": hidden, "keys": memory_keys, "memory": memory}


def _init(module: nn.Module) -> None:
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
