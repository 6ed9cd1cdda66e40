"""mmgen's own decoding loop over a transformers MusicGen model's weights.

transformers' `generate` grows its KV cache with `torch.cat` every step, re-applies the delay
pattern over the whole sequence every step, and has no static-cache or captured path. This loop
keeps the model and its weights and replaces only the loop:

- a KV cache preallocated for the whole window, written in place;
- the condition computed once: cross-attention keys/values of the text (MusicGen), or a prefix of
  chroma + text states run through the self-attention cache once (MusicGen-Melody, which has no
  cross-attention and prepends its condition to the decoder's input);
- the delay pattern built once (with transformers' own `build_delay_pattern_mask`);
- classifier-free guidance as one batched forward of [cond; uncond] rows;
- sampling on the device (top-k / top-p / temperature by the Gumbel-max trick), no host sync;
- on CUDA, the whole decode step captured once in a CUDA graph and replayed.

Shapes: B batch, K codebooks, V codebook size, L positions (frames + K for the delay pattern),
D hidden size, H heads, Dh = D / H, S text tokens, P prefix positions (melody: chroma frames + S).
Greedy decoding gives exactly stock's tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@torch.inference_mode()
def encode_text(model, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The text condition as the decoder sees it: T5 states `[B, S, D]`, projected to the decoder
    width when the widths differ (as `MusicgenForConditionalGeneration.forward` does)."""
    hidden = model.text_encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    if (
        model.text_encoder.config.hidden_size != model.decoder.config.hidden_size
        and getattr(model.decoder.config, "cross_attention_hidden_size", None) is None
    ):
        hidden = model.enc_to_dec_proj(hidden)
    return hidden


@torch.inference_mode()
def melody_prefix(
    model, input_ids: torch.Tensor, attention_mask: torch.Tensor, chroma: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """MusicGen-Melody's condition as its decoder sees it: (prefix, null prefix), each `[B, P, D]`
    with P = chroma_length + S, as `MusicgenMelodyForConditionalGeneration.generate` builds them.

    chroma `[B, C, 12]` (from the model's feature extractor), or None for text only. The null
    chroma is a constant one-hot C; the null text is zeros. Chroma is looped or cut to
    chroma_length frames (235, 30 s)."""
    text = encode_text(model, input_ids, attention_mask) * attention_mask[..., None].to(model.dtype)
    B, dtype = input_ids.shape[0], next(model.parameters()).dtype
    null = torch.zeros(
        (B, 1 if chroma is None else chroma.shape[1], model.config.num_chroma), device=text.device, dtype=dtype
    )
    null[:, :, 0] = 1

    def project(features: torch.Tensor) -> torch.Tensor:  # [B, C, 12] -> [B, chroma_length, D]
        if model.config.num_chroma != model.decoder.config.hidden_size:
            features = model.audio_enc_to_dec_proj(features)
        n = model.config.chroma_length
        if features.shape[1] < n:
            features = features.repeat(1, -(-n // features.shape[1]), 1)
        return features[:, :n]

    audio = null if chroma is None else chroma.to(text.device, dtype)
    return torch.cat([project(audio), text], 1), torch.cat([project(null), torch.zeros_like(text)], 1)


@dataclass
class SamplingConfig:
    greedy: bool = False
    temperature: float = 1.0
    top_k: int = 250
    top_p: float = 0.0
    guidance_scale: float = 3.0


class DecodeLoop:
    """One generation window: prefill an optional prompt, then decode position by position.

    Built for a fixed batch and length so every buffer is allocated once (and, on CUDA, the step
    can be captured). `model` is a `MusicgenForConditionalGeneration` (condition with
    `set_condition`) or a `MusicgenMelodyForConditionalGeneration` (condition with `set_prefix`),
    in eval mode.
    """

    def __init__(self, model, batch: int, max_positions: int, guidance: bool, use_cuda_graph: bool | None = None):
        self.model = model
        lm = model.decoder  # MusicgenForCausalLM
        self.core = lm.model.decoder  # MusicgenDecoder: embeddings, layers, final norm
        self.heads = lm.lm_heads
        cfg = lm.config
        self.K, self.V, self.D = cfg.num_codebooks, cfg.vocab_size, cfg.hidden_size
        # Stereo checkpoints interleave L/R codebooks; the delay counts codebooks per channel.
        self.channels = cfg.audio_channels
        self.delays = [k // self.channels for k in range(self.K)]
        self.H = cfg.num_attention_heads
        self.Dh = self.D // self.H
        self.pad_id = (
            model.generation_config.pad_token_id if model.generation_config.pad_token_id is not None else self.V
        )
        self.start_id = model.generation_config.decoder_start_token_id
        if self.start_id is None:
            self.start_id = self.pad_id
        self.B, self.L, self.guidance = batch, max_positions, guidance
        self.rows = 2 * batch if guidance else batch  # [cond; uncond]
        p = next(model.parameters())
        self.device, self.dtype = p.device, p.dtype
        self.has_cross_attention = hasattr(self.core.layers[0], "encoder_attn")
        self.use_cuda_graph = (self.device.type == "cuda") if use_cuda_graph is None else use_cuda_graph
        self.prefix = None  # [rows, P, D] for prefix-conditioned models, until prefilled
        self._allocate(0)

    def _allocate(self, prefix_len: int) -> None:
        """KV cache for P prefix positions then the L token positions; token t sits at P + t."""
        self.P, size = prefix_len, prefix_len + self.L
        shape = (len(self.core.layers), self.rows, self.H, size, self.Dh)
        self.k_cache = torch.zeros(shape, device=self.device, dtype=self.dtype)
        self.v_cache = torch.zeros(shape, device=self.device, dtype=self.dtype)
        table = self.core.embed_positions
        weights = table.weights if table.weights.shape[0] >= size else table.get_embedding(size, self.D)
        self.positions = weights[:size].to(self.device, self.dtype)  # [P + L, D]
        self._graph = None

    # ---- condition ---------------------------------------------------------------------------

    @torch.inference_mode()
    def set_condition(self, encoder_hidden: torch.Tensor, encoder_mask: torch.Tensor) -> None:
        """Cross-attention condition (MusicGen). encoder_hidden `[B, S, D]` already projected to the
        decoder width; encoder_mask `[B, S]`."""
        if not self.has_cross_attention:
            raise TypeError("this model is prefix-conditioned: use set_prefix")
        if self.guidance:  # the null condition: zero states, all masked (as transformers does)
            encoder_hidden = torch.cat([encoder_hidden, torch.zeros_like(encoder_hidden)], 0)
            encoder_mask = torch.cat([encoder_mask, torch.zeros_like(encoder_mask)], 0)
        hidden = encoder_hidden.to(self.dtype) * encoder_mask[..., None].to(self.dtype)
        self.cross_k, self.cross_v = [], []
        for layer in self.core.layers:
            attn = layer.encoder_attn
            self.cross_k.append(attn.k_proj(hidden).view(self.rows, -1, self.H, self.Dh).transpose(1, 2))
            self.cross_v.append(attn.v_proj(hidden).view(self.rows, -1, self.H, self.Dh).transpose(1, 2))
        # Additive mask with the dtype's minimum (not -inf), as transformers builds it: a row
        # with no valid key then averages zero values instead of producing NaN.
        self.cross_mask = ((1.0 - encoder_mask.to(self.dtype)) * torch.finfo(self.dtype).min)[:, None, None, :]
        self._graph = None

    @torch.inference_mode()
    def set_prefix(self, prefix: torch.Tensor, null_prefix: torch.Tensor | None = None) -> None:
        """Prefix condition (MusicGen-Melody): prefix `[B, P, D]` of chroma then text states, as the
        model's decoder sees them; under guidance `null_prefix` `[B, P, D]` is the unconditional one.
        The prefix is attended causally with no padding mask, as transformers does."""
        if self.guidance:
            prefix = torch.cat([prefix, null_prefix], 0)
        self._allocate(prefix.shape[1])
        self.prefix = prefix.to(self.dtype)

    # ---- the network, one or more positions at a time -----------------------------------------

    def _rows(self, tokens: torch.Tensor) -> torch.Tensor:
        """Tokens `[B, K, T]` -> the network's rows: [cond; uncond] share tokens under guidance."""
        return tokens.repeat(2, 1, 1) if self.guidance else tokens

    def _forward(
        self, tokens: torch.Tensor, start: int | torch.Tensor, static: bool, prefix: torch.Tensor | None = None
    ) -> torch.Tensor:
        """tokens `[rows, K, T]` at grid positions start..start+T-1 -> logits `[rows, K, V]` of the
        last. With `prefix` `[rows, P, D]` (the prefill at start 0) the prefix goes first.

        `static` attends over the whole preallocated cache with a mask (fixed shapes, for CUDA
        graphs, `start` a device tensor); otherwise over the filled part only.
        """
        h = sum(self.core.embed_tokens[k](tokens[:, k]) for k in range(self.K))  # [rows, T, D]
        start = start + self.P  # cache position of the first token
        if prefix is not None:
            h, start = torch.cat([prefix, h], dim=1), 0
        T = h.shape[1]
        if static:
            pos = start + torch.arange(T, device=self.device)
            h = h + self.positions.index_select(0, pos)
            valid = torch.arange(self.P + self.L, device=self.device)[None, :] <= pos[:, None]  # [T, P + L]
        else:
            h = h + self.positions[start : start + T]
            end = start + T
            valid = None if T == 1 else torch.ones(T, end, dtype=torch.bool, device=self.device).tril(start)
        for i, layer in enumerate(self.core.layers):
            residual = h
            x = layer.self_attn_layer_norm(h)
            sa = layer.self_attn
            q = sa.q_proj(x).view(self.rows, T, self.H, self.Dh).transpose(1, 2)
            k = sa.k_proj(x).view(self.rows, T, self.H, self.Dh).transpose(1, 2)
            v = sa.v_proj(x).view(self.rows, T, self.H, self.Dh).transpose(1, 2)
            if static:
                self.k_cache[i].index_copy_(2, pos, k)
                self.v_cache[i].index_copy_(2, pos, v)
                keys, values = self.k_cache[i], self.v_cache[i]
            else:
                self.k_cache[i][:, :, start:end] = k
                self.v_cache[i][:, :, start:end] = v
                keys, values = self.k_cache[i][:, :, :end], self.v_cache[i][:, :, :end]
            x = F.scaled_dot_product_attention(q, keys, values, attn_mask=valid, scale=sa.scaling)
            h = residual + sa.out_proj(x.transpose(1, 2).reshape(self.rows, T, self.D))

            if self.has_cross_attention:
                residual = h
                x = layer.encoder_attn_layer_norm(h)
                ca = layer.encoder_attn
                q = ca.q_proj(x).view(self.rows, T, self.H, self.Dh).transpose(1, 2)
                x = F.scaled_dot_product_attention(
                    q, self.cross_k[i], self.cross_v[i], attn_mask=self.cross_mask, scale=ca.scaling
                )
                h = residual + ca.out_proj(x.transpose(1, 2).reshape(self.rows, T, self.D))

            residual = h
            x = layer.final_layer_norm(h)
            h = residual + layer.fc2(layer.activation_fn(layer.fc1(x)))
        h = self.core.layer_norm(h[:, -1])  # [rows, D]
        return torch.stack([head(h) for head in self.heads], dim=1)  # [rows, K, V]

    # ---- sampling ------------------------------------------------------------------------------

    def _choose(self, logits: torch.Tensor, sampling: SamplingConfig, noise: torch.Tensor | None) -> torch.Tensor:
        """logits `[rows, K, V]` -> next tokens `[B, K]` (guidance, then warpers, then a draw)."""
        logits = logits.float()
        if self.guidance:
            cond, uncond = logits.split(self.B, dim=0)
            logits = uncond + (cond - uncond) * sampling.guidance_scale
        if sampling.greedy:
            return logits.argmax(-1)
        logits = logits / max(sampling.temperature, 1e-5)
        if 0 < sampling.top_k < self.V:
            kth = torch.topk(logits, sampling.top_k, dim=-1).values[..., -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        if 0 < sampling.top_p < 1:
            sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
            cumulative = sorted_logits.softmax(-1).cumsum(-1)
            drop = cumulative - sorted_logits.softmax(-1) > sampling.top_p
            logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
        # Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits), with no sync.
        return (logits - torch.log(-torch.log(noise))).argmax(-1)

    # ---- the loop ------------------------------------------------------------------------------

    def pattern(self, prompt: torch.Tensor | None) -> torch.Tensor:
        """The delay pattern for this window: `[B, K, L]`, -1 where a token is to be generated."""
        start = torch.full((self.B * self.K, 1), self.start_id, dtype=torch.long, device=self.device)
        ids = start if prompt is None else torch.cat([start, prompt.reshape(self.B * self.K, -1)], dim=-1)
        _, mask = self.model.decoder.build_delay_pattern_mask(ids, pad_token_id=self.start_id, max_length=self.L)
        return mask.reshape(self.B, self.K, self.L)

    def _noise(self, generators: list[torch.Generator | None], steps: int) -> torch.Tensor:
        """Uniform noise `[steps, B, K, V]` for the Gumbel draws, each batch row from its own
        generator, so a take's randomness does not depend on what it is batched with."""
        rows = [
            torch.rand((steps, self.K, self.V), generator=g, device=g.device if g is not None else self.device)
            for g in generators
        ]
        return torch.stack(rows, dim=1).to(self.device).clamp_(1e-10, 1.0)

    @torch.inference_mode()
    def generate(
        self,
        sampling: SamplingConfig,
        prompt: torch.Tensor | None = None,
        generator: torch.Generator | list[torch.Generator] | None = None,
        on_positions=None,
    ) -> torch.Tensor:
        """Fill the window. prompt: undelayed codes `[B, K, P]` to continue, or None. `generator`:
        one for all rows, or one per batch row.

        Returns the delayed token grid `[B, K, L]` (column 0 is the start token). `on_positions`
        (optional) is called as `on_positions(t, grid)` once position t is filled, with the grid
        being written (on the device), for streaming.
        """
        generators = generator if isinstance(generator, (list, tuple)) else [generator] * self.B
        mask = self.pattern(prompt)
        grid = torch.where(mask == -1, torch.full_like(mask, self.pad_id), mask)
        first = int((mask[0, 0] == -1).nonzero()[0, 0]) if (mask[0, 0] == -1).any() else self.L
        # Prefill everything known (the start token and any prompt) in one forward.
        rows = self._rows(grid[:, :, :first])
        logits = self._forward(rows, 0, static=False, prefix=self.prefix)
        if first >= self.L:
            return grid
        steps = self.L - first
        noise = None if sampling.greedy else self._noise(generators, steps)
        if self.use_cuda_graph:
            self._replay_graph(grid, mask, logits, first, sampling, noise, on_positions)
            return grid
        for i, t in enumerate(range(first, self.L)):
            chosen = self._choose(logits, sampling, None if noise is None else noise[i])
            grid[:, :, t] = torch.where(mask[:, :, t] == -1, chosen, mask[:, :, t])
            if on_positions is not None:
                on_positions(t, grid)
            if t + 1 < self.L:
                rows = self._rows(grid[:, :, t : t + 1])
                logits = self._forward(rows, t, static=False)
        return grid

    # ---- CUDA graph ----------------------------------------------------------------------------

    def _graph_step(self) -> None:
        """One position, all on the device: forward the token at `_pos`, choose, write `_pos + 1`."""
        logits = self._forward(self._tokens, self._pos, static=True)
        noise = None if self._sampling.greedy else self._noise_buffer.index_select(0, self._pos - self._first)[0]
        chosen = self._choose(logits, self._sampling, noise)  # [B, K]
        nxt = self._pos + 1
        column = self._mask.index_select(2, nxt)  # [B, K, 1]
        new = torch.where(column == -1, chosen[..., None], column)
        self._grid.index_copy_(2, nxt, new)
        self._tokens.copy_(self._rows(new))
        self._pos.add_(1)

    def _replay_graph(self, grid, mask, logits, first, sampling, noise, on_positions) -> None:
        """Decode positions first..L-1 by replaying one captured step (no host syncs inside).
        noise `[L - first, B, K, V]` (None when greedy) is indexed by position inside the graph."""
        # The first new position comes from the prefill's logits, outside the graph.
        chosen = self._choose(logits, sampling, None if noise is None else noise[0])
        grid[:, :, first] = torch.where(mask[:, :, first] == -1, chosen, mask[:, :, first])
        if on_positions is not None:
            on_positions(first, grid)
        if self._graph is None or self._graph_sampling != sampling:
            self._grid, self._mask = torch.empty_like(grid), torch.empty_like(mask)
            self._tokens = torch.empty((self.rows, self.K, 1), dtype=torch.long, device=self.device)
            self._pos = torch.zeros(1, dtype=torch.long, device=self.device)
            self._first = torch.zeros(1, dtype=torch.long, device=self.device)
            self._noise_buffer = torch.ones((self.L, self.B, self.K, self.V), device=self.device)
            self._sampling, self._graph_sampling = sampling, sampling
            self._load_graph_state(grid, mask, first, noise)
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # warm up kernels and allocator before capture
                for _ in range(2):
                    self._graph_step()
            torch.cuda.current_stream().wait_stream(side)
            self._graph = torch.cuda.CUDAGraph()
            self._load_graph_state(grid, mask, first, noise)
            with torch.cuda.graph(self._graph):
                self._graph_step()
        self._load_graph_state(grid, mask, first, noise)
        for t in range(first + 1, self.L):
            self._graph.replay()
            if on_positions is not None:
                on_positions(t, self._grid)
        grid.copy_(self._grid)

    def _load_graph_state(self, grid, mask, first, noise=None) -> None:
        if noise is not None:  # position first + j + 1 draws noise row j + 1
            self._noise_buffer[: noise.shape[0]].copy_(noise)
        self._grid.copy_(grid)
        self._mask.copy_(mask)
        column = grid[:, :, first : first + 1]
        self._tokens.copy_(self._rows(column))
        self._pos.fill_(first)
        self._first.fill_(first - 1)

    @property
    def frames(self) -> int:
        """Aligned frames a window of L positions yields (the delay pattern takes K/channels)."""
        return self.L - self.K // self.channels

    def complete_frames(self, t: int) -> int:
        """Aligned frames whose every codebook is known once position t is filled."""
        return max(0, min(self.frames, t + 1 - self.K // self.channels))

    def undelay(self, grid: torch.Tensor, start: int = 0, end: int | None = None) -> torch.Tensor:
        """Delayed grid `[B, K, L]` -> aligned codes `[B, K, end - start]` of frames start..end-1
        (all by default): codebook k shifted back by its delay + 1 for the start token."""
        end = self.frames if end is None else end
        return torch.stack([grid[:, k, d + 1 + start : d + 1 + end] for k, d in enumerate(self.delays)], dim=1)
