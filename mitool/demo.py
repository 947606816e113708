"""``mitool demo infoplane``: train a small MLP on scikit-learn's digits and trace its layers.

Offline and self-contained: the digits (1797 images of 8 × 8 pixels, 10 classes) ship with
scikit-learn. A ReLU network 64 → 64 → 20 → 20 → 10 (the shape of the paper's MNIST network,
Table 5, scaled down) is trained with plain SGD on the cross-entropy (rate 0.1, batches of 32),
as in Appendix D.3, on one CPU thread from a fixed seed, so the run is the same on every
machine. The activations of the hidden layers on a fixed subset of rows are saved after every
epoch (epoch 0 is the initialisation) in the run layout of :mod:`mitool.trace`, and the chosen
layers (default ``layer_2``) are traced with ``ksg/none`` and ``ksg/global-linf``: the raw
estimate of I(X; Z) follows the feature scale |Z| (§5.3 and Fig. 6 of 'Towards Robust
Scale-Invariant Mutual Information Estimators', anonymous, under review), the scale-invariant
one need not. Once |Z| outgrows the inputs' spread (``layer_3`` late in
training) the raw estimate falls again as |Z| grows (Proposition 3 holds at both ends), so it
no longer correlates with |Z| even though it still depends on it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mitool.errors import TORCH_HINT, MitoolError
from mitool.trace import DEFAULT_PAIRS, TraceResult, read_run, save_plane_plot, save_trace_plot
from mitool.trace import trace as trace_run

#: Widths of the hidden layers (``layer_1``, ``layer_2``, ``layer_3``).
HIDDEN = (64, 20, 20)


@dataclass
class Demo:
    """What the demo produced: the trace, the training curve and the files it wrote."""

    result: TraceResult
    accuracy: list[float]
    files: dict[str, str] = field(default_factory=dict)


def require_torch() -> None:
    """A one-line error, before any work, when PyTorch is not installed (found, not imported)."""
    from importlib.util import find_spec

    if find_spec("torch") is None:
        raise MitoolError(f"the demo trains a network with PyTorch: {TORCH_HINT}")


def train_digits(
    epochs: int, *, rows: int, hidden: Sequence[int] = HIDDEN, lr: float = 0.1,
    batch_size: int = 32, seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, list[list[np.ndarray]], list[float]]:  # fmt: skip
    """Train the MLP; return the traced rows' inputs and labels, their hidden activations per
    epoch (epoch 0 first) and the training accuracy per epoch."""
    require_torch()
    import torch
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixels 0..16 → [0, 1]
    y = digits.target.astype(np.int64)
    if not 10 < rows <= len(x):
        raise MitoolError(f"--rows must be between 11 and {len(x)}, got {rows}")
    traced = np.sort(np.random.default_rng(seed).permutation(len(x))[:rows])

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same floating-point sums on every machine
    try:
        torch.manual_seed(seed)
        widths = [x.shape[1], *hidden]
        layers: list[torch.nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        net = torch.nn.Sequential(*layers, torch.nn.Linear(widths[-1], 10))
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
        order = torch.Generator().manual_seed(seed)

        def hidden_outputs() -> list[np.ndarray]:
            with torch.no_grad():
                h, out = inputs[torch.from_numpy(traced)], []
                for module in net:
                    h = module(h)
                    if isinstance(module, torch.nn.ReLU):
                        out.append(h.numpy().copy())
            return out

        activations, accuracy = [hidden_outputs()], []
        for _ in range(epochs):
            for batch in torch.randperm(len(x), generator=order).split(batch_size):
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(net(inputs[batch]), targets[batch]).backward()
                optimizer.step()
            activations.append(hidden_outputs())
            with torch.no_grad():
                accuracy.append(float((net(inputs).argmax(1) == targets).float().mean()))
    finally:
        torch.set_num_threads(threads)
    return x[traced], y[traced], activations, accuracy


def write_run(path: str, x: np.ndarray, y: np.ndarray, activations: list[list[np.ndarray]]) -> None:
    """The run file of :mod:`mitool.trace`: /inputs, /labels, /epoch_NNN/layer_L."""
    import h5py

    digits = max(3, len(str(len(activations) - 1)))
    try:
        with h5py.File(path, "w") as f:
            f.create_dataset("inputs", data=x)
            f.create_dataset("labels", data=y)
            for epoch, outputs in enumerate(activations):
                group = f.create_group(f"epoch_{epoch:0{digits}d}")
                for i, z in enumerate(outputs, start=1):
                    group.create_dataset(f"layer_{i}", data=z)
    except OSError as exc:
        raise MitoolError(f"{path}: cannot write the run file ({exc})") from None


def infoplane(
    out_dir: str = "infoplane-demo",
    *,
    epochs: int = 20,
    rows: int = 1000,
    layers: Sequence[str] = ("layer_2",),
    pairs: Sequence[str] = DEFAULT_PAIRS,
    k: int = 3,
    seed: int = 0,
    resamples: int = 0,
    jobs: int | None = None,
    progress: bool = False,
    plots: bool = True,
) -> Demo:
    """Train, save the run to ``out_dir/run.h5``, trace it (``out_dir/trace.jsonl``) and draw
    ``out_dir/trace.png`` and ``out_dir/plane.png``. A rerun reuses the trace."""
    if epochs < 2:
        raise MitoolError(f"--epochs must be at least 2, got {epochs}")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise MitoolError(f"{out_dir}: cannot create the folder ({exc.strerror})") from None
    x, y, activations, accuracy = train_digits(epochs, rows=rows, seed=seed)
    files = {"run": os.path.join(out_dir, "run.h5"), "trace": os.path.join(out_dir, "trace.jsonl")}
    write_run(files["run"], x, y, activations)
    run = read_run(files["run"], layers=list(layers))
    result = trace_run(
        run, pairs=pairs, k=k, seed=seed, resamples=resamples, jobs=jobs, progress=progress,
        out=files["trace"],
    )  # fmt: skip
    if plots:
        files["plot"] = os.path.join(out_dir, "trace.png")
        files["plane"] = os.path.join(out_dir, "plane.png")
        save_trace_plot(result, files["plot"])
        save_plane_plot(result, files["plane"])
    return Demo(result, accuracy, files)
