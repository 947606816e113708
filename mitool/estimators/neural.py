"""The neural family: MINE, NWJ and InfoNCE with one critic and one training loop (PyTorch).

A critic F(x, t) — an MLP on the concatenation (d_X + d_T) → hidden → … → 1 with ReLU, the last
layer linear (paper 000, Appendix D.2: one hidden layer of 20 units) — is trained with Adam
(lr 1e-3, 50 epochs, batches of 100, the remainder of each epoch dropped, as gtegner/mine-pytorch
does) to maximise a variational lower bound on I(X; T); marginal samples pair each x with the t
of another row of the same batch (a shuffle of T, Eq. 8).

- ``mine``: the Donsker–Varadhan bound E_P[F] − log E_{P_X⊗P_T}[e^F] (paper 000, Eqs. 7–9),
  trained with the bias-corrected gradient of Belghazi et al. (2018, §3.2): the gradient of
  log E[e^F] uses a moving average (rate 0.01) of E[e^F] in its denominator. With
  ``remine_lambda`` > 0, the ReMINE regulariser of seed 003 (Theorem 5, L2 form) is added:
  the loss gains λ·(log E_Q[e^F] − C)², which stops the critic's constant from drifting, and the
  estimate is then the micro-averaged DV bound over a window of the last batches (Algorithm 1).
- ``nwj``: E_P[F] − E_Q[e^(F−1)] (Nguyen, Wainwright & Jordan; seed 003, Lemma 2).
- ``infonce``: the mean over each batch of b rows of F(x_i, t_i) − log Σ_j e^F(x_j, t_i) + log b
  (seed 004, §3.3), which can never exceed log b: the batch size is a ceiling on the estimate.

The reported value is the bound on the full training data after training, as in the paper
(§A.2: "in the standard manner"), with the marginal term pooled over several independent
shuffles of T to cut readout noise (the paper used one). ``eval="heldout"`` instead trains on
one part of the rows and evaluates on the rest (Czyż et al. 2023). The seed fixes the
initialisation, the batches and the shuffles; training runs on one CPU thread, so the same seed
gives the same number on every machine configuration of one build.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mitool.errors import TORCH_HINT, EstimateError, MitoolError
from mitool.estimators.base import EstimatorSpec, register
from mitool.estimators.curve import Curve
from mitool.progress import progress_bar
from mitool.search.torch_pairs import import_torch, torch_device

#: A bound below this many nats is a failed training, not an estimate: MI is at least 0, and a
#: trained critic's bound on independent data scatters by hundredths around it, while a diverged
#: one (--lr 1e6) read −4.7e13.
DIVERGED = -1.0

NEURAL_NORMS = ("none", "local", "global", "global-corrected", "rank")
OBJECTIVES = ("mine", "nwj", "infonce")
EVALS = ("train", "heldout")
DEVICES = ("cpu", "cuda", "auto")
INSTALL_HINT = f"the neural estimators need PyTorch: {TORCH_HINT}"


@dataclass(frozen=True)
class NeuralOptions:
    """Settings of the neural estimators (defaults: paper 000, Appendix D.2).

    hidden : widths of the critic's hidden layers.
    epochs, lr, batch_size : Adam's training schedule.
    ema_rate : rate of MINE's moving average of E[e^F] in the corrected gradient.
    device : ``cpu``, ``cuda`` or ``auto`` (cuda when available).
    eval : ``train`` (the bound on the training data, as the paper) or ``heldout``.
    heldout_fraction : share of the rows kept for evaluation with ``eval="heldout"``.
    shuffles : independent shuffles of T pooled in the marginal term of the readout.
    remine_lambda, remine_c : ReMINE's λ and C (λ = 0: plain MINE).
    remine_window : batches in ReMINE's window-averaged estimate (default: the last 20% of
        training).
    """

    hidden: tuple[int, ...] = (20,)
    epochs: int = 50
    lr: float = 1e-3
    batch_size: int = 100
    ema_rate: float = 0.01
    device: str = "cpu"
    eval: str = "train"
    heldout_fraction: float = 0.5
    shuffles: int = 10
    remine_lambda: float = 0.0
    remine_c: float = 0.0
    remine_window: int | None = None
    trace: bool = field(default=True, repr=False)

    def __post_init__(self) -> None:
        hidden = (self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden)
        object.__setattr__(self, "hidden", hidden)
        checks = [
            (all(isinstance(h, int) and h > 0 for h in hidden), "hidden widths must be positive"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.lr > 0, "the learning rate must be positive"),
            (self.batch_size >= 2, "the batch size must be at least 2"),
            (0 < self.ema_rate <= 1, "the moving-average rate must lie in (0, 1]"),
            (self.device in DEVICES, f"device must be one of {', '.join(DEVICES)}"),
            (self.eval in EVALS, f"eval must be one of {', '.join(EVALS)}"),
            (0 < self.heldout_fraction < 1, "the held-out fraction must lie in (0, 1)"),
            (self.shuffles >= 1, "shuffles must be at least 1"),
            (self.remine_lambda >= 0, "the ReMINE lambda must be non-negative"),
            (self.remine_window is None or self.remine_window >= 1, "the window must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise MitoolError(message)


def _critic(torch: Any, d_in: int, hidden: Sequence[int]) -> Any:
    layers: list[Any] = []
    for width in hidden:
        layers += [torch.nn.Linear(d_in, width), torch.nn.ReLU()]
        d_in = width
    layers.append(torch.nn.Linear(d_in, 1))
    return torch.nn.Sequential(*layers)


def _pairs(critic: Any, torch: Any, x: Any, t: Any) -> Any:
    """F(x_j, t_i) for every i, j of a batch: a (b, b) matrix, row i holding t_i's scores."""
    b = len(x)
    grid = torch.cat([x.repeat(b, 1), t.repeat_interleave(b, dim=0)], dim=1)
    return critic(grid).view(b, b)


def _score(critic: Any, torch: Any, x: Any, t: Any) -> Any:
    return critic(torch.cat([x, t], dim=1)).squeeze(-1)


@dataclass
class _Window:
    """Micro-averaged DV over the last batches (ReMINE, seed 003 Algorithm 1)."""

    size: int
    batches: deque = field(default_factory=deque)

    def add(self, joint_sum: float, lse_marginal: float, b: int) -> None:
        self.batches.append((joint_sum, lse_marginal, b))
        if len(self.batches) > self.size:
            self.batches.popleft()

    def value(self) -> float:
        joint, lse, b = (np.array(c, dtype=float) for c in zip(*self.batches, strict=True))
        total = b.sum()
        return float(joint.sum() / total - (np.logaddexp.reduce(lse) - math.log(total)))


def _train(
    objective: str,
    x: Any,
    t: Any,
    opts: NeuralOptions,
    gen: Any,
    torch: Any,
    progress: bool,
) -> tuple[Any, list[dict[str, float]], float | None]:
    """Train a critic; returns it, the per-epoch trace and ReMINE's window estimate (or None)."""
    n, b = len(x), opts.batch_size
    critic = _critic(torch, x.shape[1] + t.shape[1], opts.hidden).to(x.device)
    optimiser = torch.optim.Adam(critic.parameters(), lr=opts.lr)
    log_rate, log_keep = math.log(opts.ema_rate), math.log1p(-opts.ema_rate)
    running = None  # log of the moving average of E[e^F] (MINE)
    steps = opts.epochs * (n // b)
    window = _Window(opts.remine_window or max(1, steps // 5))
    trace = []
    with progress_bar(opts.epochs, f"{objective} epochs", progress) as advance:
        for epoch in range(opts.epochs):
            order = torch.randperm(n, generator=gen).to(x.device)
            sums = np.zeros(3)
            for start in range(0, n - b + 1, b):
                rows = order[start : start + b]
                xb, tb = x[rows], t[rows]
                if objective == "infonce":
                    scores = _pairs(critic, torch, xb, tb)
                    joint = scores.diagonal()
                    second = torch.logsumexp(scores, dim=1) - math.log(b)
                    bound = (joint - second).mean()
                    loss = -bound
                    terms = (joint.mean(), second.mean())
                else:
                    joint = _score(critic, torch, xb, tb)
                    shuffled = tb[torch.randperm(b, generator=gen).to(x.device)]
                    marginal = _score(critic, torch, xb, shuffled)
                    lse = torch.logsumexp(marginal, dim=0)
                    log_mean = lse - math.log(b)
                    if objective == "nwj":
                        second = torch.exp(marginal - 1).mean()
                        loss = -(joint.mean() - second)
                    else:  # mine: the gradient of log E e^F divided by a moving average
                        now = log_mean.detach()
                        running = (
                            now
                            if running is None
                            else torch.logaddexp(now + log_rate, running + log_keep)
                        )
                        loss = -(joint.mean() - torch.exp(log_mean - running))
                        second = log_mean
                        if opts.remine_lambda > 0:
                            loss = loss + opts.remine_lambda * (log_mean - opts.remine_c) ** 2
                            window.add(float(joint.detach().sum()), float(lse.detach()), b)
                    bound = joint.mean() - second
                    terms = (joint.mean(), second)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                sums += [float(v.detach()) for v in (*terms, bound)]
            batches = n // b
            trace.append(
                {
                    "epoch": epoch + 1,
                    "joint": sums[0] / batches,
                    "marginal": sums[1] / batches,
                    "bound": sums[2] / batches,
                }
            )
            advance(1)
    remine = window.value() if objective == "mine" and opts.remine_lambda > 0 else None
    return critic, trace, remine


def _readout(
    objective: str, critic: Any, x: Any, t: Any, opts: NeuralOptions, gen: Any, torch: Any
) -> float:
    """The bound on (x, t) with the marginal term pooled over ``opts.shuffles`` shuffles."""
    n, b = len(x), opts.batch_size
    with torch.no_grad():
        if objective == "infonce":
            values = []
            for _ in range(opts.shuffles):
                order = torch.randperm(n, generator=gen).to(x.device)
                for start in range(0, n - b + 1, b):
                    rows = order[start : start + b]
                    scores = _pairs(critic, torch, x[rows], t[rows])
                    bound = scores.diagonal() - torch.logsumexp(scores, dim=1) + math.log(b)
                    values.append(float(bound.mean()))
            return float(np.mean(values))
        joint = float(_score(critic, torch, x, t).double().mean())
        marginal = torch.cat(
            [
                _score(critic, torch, x, t[torch.randperm(n, generator=gen).to(x.device)])
                for _ in range(opts.shuffles)
            ]
        ).double()
        if objective == "nwj":
            return joint - float(torch.exp(marginal - 1).mean())
        return joint - (float(torch.logsumexp(marginal, dim=0)) - math.log(len(marginal)))


def neural_curve(
    objective: str,
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    *,
    seed: int,
    options: NeuralOptions | None,
    progress: bool,
) -> Curve:
    """Train the critic for ``objective`` on (x, t) and read out its bound, in nats."""
    torch = import_torch(INSTALL_HINT)
    opts = options or NeuralOptions()
    device = torch_device(torch, opts.device)
    n = len(x)
    n_eval = round(opts.heldout_fraction * n) if opts.eval == "heldout" else 0
    n_train = n - n_eval
    if opts.batch_size > n_train:
        raise MitoolError(
            f"the batch size ({opts.batch_size}) exceeds the {n_train} training rows; "
            "lower --batch-size"
        )
    if opts.eval == "heldout" and n_eval < 2:
        raise MitoolError("too few rows to hold any out for evaluation")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: bit-reproducible, and fastest for a critic this small
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed % 2**63)
            gen = torch.Generator().manual_seed(seed % 2**63)
            xs = torch.as_tensor(x, dtype=torch.float32, device=device)
            ts = torch.as_tensor(t, dtype=torch.float32, device=device)
            split = torch.randperm(n, generator=gen).to(device)
            train, held = split[:n_train], split[n_train:]
            critic, trace, remine = _train(
                objective, xs[train], ts[train], opts, gen, torch, progress
            )
            rows = held if opts.eval == "heldout" else train
            readout = _readout(objective, critic, xs[rows], ts[rows], opts, gen, torch)
    finally:
        torch.set_num_threads(threads)
    value = remine if remine is not None else readout
    if not math.isfinite(value) or value < DIVERGED:
        raise EstimateError(
            f"{objective} training diverged: its bound reads {value:.4g} nats (below "
            f"{DIVERGED:g} or not finite, where MI is at least 0); lower --lr (now {opts.lr:g}) "
            "or raise --epochs"
        )
    details: dict[str, Any] = {"readout": readout, "eval": opts.eval}
    notes = []
    if remine is not None:
        details["remine_window_estimate"] = remine
    if objective == "infonce":
        ceiling = math.log(opts.batch_size)
        details["ceiling"] = ceiling
        if value >= ceiling - 0.1:
            notes.append(
                f"the InfoNCE estimate {value:.4f} nats is within 0.1 of its ceiling "
                f"log(batch size) = {ceiling:.4f}: the true MI may be higher; raise --batch-size"
            )
    if opts.trace:
        details["trace"] = trace
    return Curve.exact(tuple(scales), [value], details=details, notes=notes)


def _spec(objective: str, summary: str) -> EstimatorSpec:
    def curve(
        x: np.ndarray,
        t: np.ndarray,
        scales: Sequence[float],
        k: int,
        *,
        exhaustive: bool = False,
        seed: int = 0,
        options: NeuralOptions | None = None,
        progress: bool = False,
    ) -> Curve:
        return neural_curve(objective, x, t, scales, seed=seed, options=options, progress=progress)

    curve.__name__ = curve.__qualname__ = f"{objective}_curve"
    return EstimatorSpec(
        name=objective,
        family="neural",
        uses_k=False,
        default_norm="global-corrected",
        norms=NEURAL_NORMS,
        curve=curve,
        summary=summary,
        options_type=NeuralOptions,
        thread_safe=False,
    )


register(_spec("mine", "Belghazi et al. 2018 MINE (Donsker-Varadhan bound, EMA gradient)"))
register(_spec("nwj", "Nguyen, Wainwright & Jordan f-divergence bound"))
register(_spec("infonce", "InfoNCE (van den Oord et al. 2018), at most log(batch size)"))
