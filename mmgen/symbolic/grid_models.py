"""Models over event grids (see grid.py): a beta-VAE and a denoising diffusion model over the
melody, a conditional WGAN-GP over all tracks. Shapes: events int64 [B, T] (the melody; the GAN
[B, VOICES, T]); cond float [B, PHRASE_BARS, COND]; mask bool [B, T]; every model writes a
melody with `generate(cond, mask, noise) -> logits [B, T, CLASSES]`,
where `noise` fixes the randomness (a latent [B, latent] or, for diffusion, the starting noise
[B, T, CLASSES]) so a seed, or two seeds blended, say what comes out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .grid import CLASSES, COND, DRUMS, PHRASE_BARS, REST, STEPS, STEPS_PER_BAR, TRACKS, VOICE_TRACK, VOICES


@dataclass
class GridConfig:
    family: str  # "vae" | "gan" | "diffusion"
    hidden: int = 128
    latent: int = 32
    layers: int = 2
    beta: float = 0.2  # VAE: weight of the KL term
    free_bits: float = 0.25  # VAE: nats per latent dimension the KL is not pushed below
    train_steps: int = 1000  # diffusion: DDPM steps in training
    sample_steps: int = 20  # diffusion: DPM-Solver steps when sampling

    def to_dict(self) -> dict:
        return asdict(self)


def build_grid_model(config: GridConfig) -> nn.Module:
    return {"vae": GridVAE, "gan": GridGAN, "diffusion": GridDiffusion}[config.family](config)


def step_features(batch: int, device=None) -> torch.Tensor:
    """[B, T, STEPS_PER_BAR + PHRASE_BARS] one-hot step-in-bar and bar-in-phrase."""
    t = torch.arange(STEPS, device=device)
    features = torch.cat([F.one_hot(t % STEPS_PER_BAR, STEPS_PER_BAR), F.one_hot(t // STEPS_PER_BAR, PHRASE_BARS)], -1)
    return features.float().expand(batch, -1, -1)


def per_step(cond: torch.Tensor) -> torch.Tensor:
    """[B, PHRASE_BARS, COND] -> [B, T, COND]."""
    return cond.repeat_interleave(STEPS_PER_BAR, dim=1)


STEP_FEATURES = STEPS_PER_BAR + PHRASE_BARS


class SequenceNet(nn.Module):
    """Residual dilated 1-D convolutions over the phrase's steps (dilations 1..16: each step
    sees the whole 4-bar phrase): [B, T, inputs] -> [B, T, outputs]. `extra` [B, hidden]
    (a timestep embedding) is added to every step when given."""

    def __init__(self, inputs: int, hidden: int, outputs: int, layers: int) -> None:
        super().__init__()
        self.project = nn.Linear(inputs, hidden)
        dilations = [1, 2, 4, 8, 16] * layers
        self.blocks = nn.ModuleList(nn.Conv1d(hidden, 2 * hidden, 3, padding=d, dilation=d) for d in dilations)
        self.norms = nn.ModuleList(nn.GroupNorm(8, hidden) for _ in dilations)
        self.out = nn.Linear(hidden, outputs)

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        h = self.project(x)
        if extra is not None:
            h = h + extra[:, None]
        h = h.transpose(1, 2)  # [B, hidden, T]
        for conv, norm in zip(self.blocks, self.norms):
            a, b = conv(norm(h)).chunk(2, dim=1)
            h = h + torch.tanh(a) * torch.sigmoid(b)  # gated, as in WaveNet
        return self.out(h.transpose(1, 2))


def masked_events_loss(logits: torch.Tensor, events: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    loss = F.cross_entropy(logits.transpose(1, 2), events, reduction="none")
    return (loss * mask).sum() / mask.sum()


class GridVAE(nn.Module):
    """beta-VAE: a phrase -> z [latent]; z + the bars' conditioning -> the phrase, decoded
    non-autoregressively (every step at once), so z carries the melody and cannot be ignored."""

    def __init__(self, c: GridConfig) -> None:
        super().__init__()
        self.config = c
        self.encoder = SequenceNet(CLASSES + COND + STEP_FEATURES, c.hidden, c.hidden, c.layers)
        self.to_stats = nn.Linear(c.hidden, 2 * c.latent)
        self.decoder = SequenceNet(c.latent + COND + STEP_FEATURES, c.hidden, CLASSES, c.layers)

    def encode(self, events, cond):
        x = torch.cat(
            [F.one_hot(events, CLASSES).float(), per_step(cond), step_features(len(events), events.device)], -1
        )
        mean, log_var = self.to_stats(self.encoder(x).mean(1)).chunk(2, -1)
        return mean, log_var.clamp(-8, 8)

    def decode(self, z, cond):
        x = torch.cat([z[:, None].expand(-1, STEPS, -1), per_step(cond), step_features(len(z), z.device)], -1)
        return self.decoder(x)

    def loss(self, events, cond, mask) -> tuple[torch.Tensor, dict]:
        mean, log_var = self.encode(events, cond)
        z = mean + torch.randn_like(mean) * (0.5 * log_var).exp()
        recon = masked_events_loss(self.decode(z, cond), events, mask)
        kl = 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var)  # [B, latent]
        kl_term = kl.mean(0).clamp(min=self.config.free_bits).sum()
        return recon + self.config.beta * kl_term, {"recon": recon.item(), "kl": kl.mean(0).sum().item()}

    def noise_shape(self) -> tuple[int, ...]:
        return (self.config.latent,)

    @torch.no_grad()
    def generate(self, cond, mask, noise):
        return self.decode(noise, cond)

    @torch.no_grad()
    def nll_bound(self, events, cond, mask) -> float:
        """The negative ELBO per used step (nats): reconstruction + KL, from the posterior mean."""
        mean, log_var = self.encode(events, cond)
        recon = F.cross_entropy(self.decode(mean, cond).transpose(1, 2), events, reduction="none")
        kl = 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(-1)
        return float(((recon * mask).sum() + kl.sum()) / mask.sum())


VOICE_CHANNELS = len(VOICES) * CLASSES
ROLL = VOICE_CHANNELS + len(DRUMS)  # channels of a multi-track roll


def track_roll(events: torch.Tensor, drums: torch.Tensor) -> torch.Tensor:
    """events [B, VOICES, T] + drums [B, T, DRUMS] -> the roll [B, T, ROLL] (one-hot events)."""
    voices = F.one_hot(events, CLASSES).float().permute(0, 2, 1, 3).flatten(2)
    return torch.cat([voices, drums.float()], -1)


class GridGAN(nn.Module):
    """Conditional WGAN-GP over multi-track rolls (as MuseGAN): the generator turns z, the bars'
    conditioning and the tracks asked for (`present` [B, TRACKS]) into, for every step, event
    probabilities of the four voices and the chance of each drum hit; the critic scores
    (roll, conditioning, tracks) triples. A track not asked for is silence on both sides."""

    def __init__(self, c: GridConfig) -> None:
        super().__init__()
        self.config = c
        context = COND + len(TRACKS) + STEP_FEATURES
        self.generator = SequenceNet(c.latent + context, c.hidden, ROLL, c.layers)
        self.critic = nn.Sequential(
            nn.Conv1d(ROLL + context, c.hidden, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv1d(c.hidden, c.hidden, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv1d(c.hidden, 2 * c.hidden, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv1d(2 * c.hidden, 2 * c.hidden, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * c.hidden * (STEPS // 8), 1),
        )

    def _context(self, cond, present) -> torch.Tensor:
        """[B, T, COND + TRACKS + STEP_FEATURES]."""
        return torch.cat(
            [per_step(cond), present.float()[:, None].expand(-1, STEPS, -1), step_features(len(cond), cond.device)], -1
        )

    def fake(self, z, cond, present, mask) -> torch.Tensor:
        """The roll [B, T, ROLL]: voice probabilities (REST on unused steps and in tracks not
        asked for) and drum-hit probabilities."""
        out = self.generator(torch.cat([z[:, None].expand(-1, STEPS, -1), self._context(cond, present)], -1))
        batch = len(z)
        voices = out[..., :VOICE_CHANNELS].view(batch, STEPS, len(VOICES), CLASSES).softmax(-1)
        voice_on = present[:, list(VOICE_TRACK)]  # [B, VOICES]
        keep = mask[:, :, None] & voice_on[:, None, :]
        rest = F.one_hot(torch.tensor(REST, device=z.device), CLASSES).float()
        voices = torch.where(keep[..., None], voices, rest)
        drums_on = mask & present[:, TRACKS.index("drums"), None]
        drums = out[..., VOICE_CHANNELS:].sigmoid() * drums_on[..., None]
        return torch.cat([voices.flatten(2), drums], -1)

    def score(self, roll, cond, present) -> torch.Tensor:
        x = torch.cat([roll, self._context(cond, present)], -1)
        return self.critic(x.transpose(1, 2)).squeeze(-1)

    def noise_shape(self) -> tuple[int, ...]:
        return (self.config.latent,)

    @torch.no_grad()
    def generate_tracks(self, cond, mask, noise, present) -> tuple[torch.Tensor, torch.Tensor]:
        """(voice log-probabilities [B, VOICES, T, CLASSES], drum-hit probabilities [B, T, DRUMS])."""
        roll = self.fake(noise, cond, present, mask)
        voices = roll[..., :VOICE_CHANNELS].view(len(roll), STEPS, len(VOICES), CLASSES).transpose(1, 2)
        return voices.clamp_min(1e-6).log(), roll[..., VOICE_CHANNELS:]

    @torch.no_grad()
    def generate(self, cond, mask, noise):
        """The melody alone, as the other grid models: logits [B, T, CLASSES]."""
        present = torch.zeros(len(cond), len(TRACKS), dtype=torch.bool)
        present[:, 0] = True
        return self.generate_tracks(cond, mask, noise, present)[0][:, 0]


class GridDiffusion(nn.Module):
    """Denoising diffusion over one-hot event grids scaled to [-1, 1]. A gated dilated conv net
    (as in DiffWave) reads the noisy grid, the timestep (diffusers' sinusoidal embedding) and
    the bars' conditioning, and predicts the clean grid as class logits, trained with cross-
    entropy (categorical data is learned far better this way than by regressing the noise).
    Sampling runs diffusers' DPM-Solver++ on x0 = the expected one-hot of the predicted classes
    ("sample" prediction), as in continuous diffusion for categorical data."""

    def __init__(self, c: GridConfig) -> None:
        super().__init__()
        from diffusers.models.embeddings import TimestepEmbedding, Timesteps

        self.config = c
        self.time_proj = Timesteps(c.hidden, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embed = TimestepEmbedding(c.hidden, c.hidden)
        self.net = SequenceNet(CLASSES + COND + STEP_FEATURES, c.hidden, CLASSES, c.layers)

    def forward(self, noisy, timesteps, cond) -> torch.Tensor:
        """Logits of the clean grid [B, T, CLASSES]."""
        x = torch.cat([noisy, per_step(cond), step_features(len(noisy), noisy.device)], -1)
        return self.net(x, self.time_embed(self.time_proj(timesteps).to(x.dtype)))

    def scheduler(self, kind: str = "ddpm"):
        from diffusers import DDPMScheduler, DPMSolverMultistepScheduler

        common = dict(
            num_train_timesteps=self.config.train_steps, beta_schedule="squaredcos_cap_v2", prediction_type="sample"
        )
        return DDPMScheduler(**common) if kind == "ddpm" else DPMSolverMultistepScheduler(**common)

    def loss(self, events, cond, mask, scheduler) -> tuple[torch.Tensor, dict]:
        clean = F.one_hot(events, CLASSES).float() * 2 - 1
        t = torch.randint(0, self.config.train_steps, (len(events),), device=events.device)
        logits = self(scheduler.add_noise(clean, torch.randn_like(clean), t), t, cond)
        loss = masked_events_loss(logits, events, mask)
        return loss, {"ce": loss.item()}

    def noise_shape(self) -> tuple[int, ...]:
        return (STEPS, CLASSES)

    @torch.no_grad()
    def generate(self, cond, mask, noise):
        scheduler = self.scheduler("dpm")
        scheduler.set_timesteps(self.config.sample_steps)
        x = noise * scheduler.init_noise_sigma
        for t in scheduler.timesteps:
            logits = self(x, t.expand(len(x)).to(x.device), cond)
            x = scheduler.step(logits.softmax(-1) * 2 - 1, t, x).prev_sample
        return logits


def critic_loss(model: GridGAN, events, drums, present, cond, mask, gp_weight: float = 10.0) -> torch.Tensor:
    """WGAN critic loss with a gradient penalty that keeps the critic 1-Lipschitz."""
    real = track_roll(events, drums)
    with torch.no_grad():
        fake = model.fake(torch.randn(len(events), model.config.latent, device=events.device), cond, present, mask)
    alpha = torch.rand(len(events), 1, 1, device=events.device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grad = torch.autograd.grad(model.score(mixed, cond, present).sum(), mixed, create_graph=True)[0]
    penalty = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
    return model.score(fake, cond, present).mean() - model.score(real, cond, present).mean() + gp_weight * penalty


def generator_loss(model: GridGAN, cond, present, mask) -> torch.Tensor:
    z = torch.randn(len(cond), model.config.latent, device=cond.device)
    return -model.score(model.fake(z, cond, present, mask), cond, present).mean()


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between two Gaussian latents (keeps their norm typical)."""
    dot = (a * b).sum(-1, keepdim=True) / (a.norm(dim=-1, keepdim=True) * b.norm(dim=-1, keepdim=True))
    omega = torch.arccos(dot.clamp(-1 + 1e-6, 1 - 1e-6))
    so = torch.sin(omega)
    return torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b if float(so.min()) > 1e-6 else a
