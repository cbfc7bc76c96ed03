"""The conditional denoiser, the cosine noise schedule and the DDIM sampler (PyTorch)."""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["Denoiser", "cosine_alpha_bar", "ddim_sample", "training_loss"]

EPSILON_START = 0.01
"""Epsilon-prediction sampling starts at the last step whose alpha_bar is at least this."""


def cosine_alpha_bar(steps: int, *, offset: float = 0.008) -> torch.Tensor:
    """Cumulative signal level alpha_bar(t) of the cosine schedule (Nichol and Dhariwal), for
    t = 0 .. steps - 1, with the implied betas clipped at 0.999."""
    t = torch.linspace(0, 1, steps + 1, dtype=torch.float64)
    f = torch.cos((t + offset) / (1 + offset) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    betas = (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=0.999)
    return torch.cumprod(1 - betas, dim=0).float()


def _time_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class Denoiser(nn.Module):
    """MLP denoiser of a future path, conditioned on an encoded context window and the step.

    Parameters
    ----------
    horizon
        Length of the future path (bars).
    context_len, n_features
        Shape of the context window.
    hidden, layers, context_dim, time_dim
        Sizes of the network.
    """

    def __init__(
        self,
        *,
        horizon: int,
        context_len: int,
        n_features: int,
        hidden: int = 256,
        layers: int = 3,
        context_dim: int = 128,
        time_dim: int = 64,
    ) -> None:
        super().__init__()
        self.time_dim = time_dim
        self.encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(context_len * n_features, hidden),
            nn.SiLU(),
            nn.Linear(hidden, context_dim),
            nn.SiLU(),
        )
        self.time = nn.Sequential(nn.Linear(time_dim, time_dim), nn.SiLU())
        blocks: list[nn.Module] = [nn.Linear(horizon + context_dim + time_dim, hidden), nn.SiLU()]
        for _ in range(layers - 1):
            blocks += [nn.Linear(hidden, hidden), nn.SiLU()]
        blocks.append(nn.Linear(hidden, horizon))
        self.body = nn.Sequential(*blocks)

    def encode(self, context: torch.Tensor) -> torch.Tensor:
        """Context windows ``(batch, length, features)`` -> embeddings."""
        out: torch.Tensor = self.encoder(context)
        return out

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        emb = self.time(_time_embedding(t, self.time_dim))
        out: torch.Tensor = self.body(torch.cat([x, cond, emb], dim=1))
        return out


def training_loss(
    model: Denoiser,
    x0: torch.Tensor,
    context: torch.Tensor,
    alpha_bar: torch.Tensor,
    *,
    prediction: str,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Mean squared error of the epsilon or v prediction at uniformly drawn noise levels."""
    batch = x0.shape[0]
    t = torch.randint(0, len(alpha_bar), (batch,), generator=generator)
    noise = torch.randn(x0.shape, generator=generator)
    ab = alpha_bar[t][:, None]
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    target = noise if prediction == "epsilon" else ab.sqrt() * noise - (1 - ab).sqrt() * x0
    out = model(xt, t, model.encode(context))
    return torch.mean((out - target) ** 2)


@torch.no_grad()
def ddim_sample(
    model: Denoiser,
    cond: torch.Tensor,
    alpha_bar: torch.Tensor,
    *,
    horizon: int,
    steps: int,
    prediction: str,
    noise: torch.Tensor,
    clip: float = 20.0,
) -> torch.Tensor:
    """Deterministic DDIM sampling (eta = 0) from ``noise`` in ``steps`` steps.

    ``cond`` are context embeddings, one row per sample; ``noise`` the starting Gaussian noise
    (the only randomness: the same noise gives the same paths).
    """
    total = len(alpha_bar)
    first = total - 1
    if prediction == "epsilon":
        # x0 = (x - sqrt(1 - ab) eps) / sqrt(ab) multiplies the error of eps by 1 / sqrt(ab):
        # 20,000 at the cosine schedule's last step. Start where ab >= 0.01 (t ~ 0.9 T), where x
        # is still 99 % noise, as "leading" DDIM spacings do; v-prediction needs no such start.
        first = int(torch.nonzero(alpha_bar >= EPSILON_START).max())
    times = torch.linspace(first, 0, steps).round().long()
    x = noise
    x0 = x
    for i, t in enumerate(times):
        ab = alpha_bar[t]
        out = model(x, t.repeat(x.shape[0]), cond)
        if prediction == "epsilon":
            eps = out
            x0 = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
        else:
            x0 = ab.sqrt() * x - (1 - ab).sqrt() * out
            eps = (1 - ab).sqrt() * x + ab.sqrt() * out
        x0 = x0.clamp(-clip, clip)
        if i + 1 < len(times):
            ab_prev = alpha_bar[times[i + 1]]
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
    return x0
