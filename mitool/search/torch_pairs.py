"""All pairs in PyTorch, on a GPU (``--device cuda``) or the CPU: the k-th max-norm neighbour
distance and counts within a radius.

Float64 throughout: |a_j − a_i| is the same rounded subtraction as on every other path, and the
maximum over dimensions is exact, so distances and counts are identical to theirs. Rows go in
chunks so that a (chunk × n) block of distances stays within a fixed memory budget, whatever n.
The device is an argument of every call; nothing of torch's global state is changed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mitool.errors import TORCH_HINT, MitoolError

#: Bytes of one (chunk × n) block of float64 distances, plus its temporaries.
BLOCK_BYTES = 256 * 2**20


def import_torch(needed_by: str = f"--search torch needs PyTorch: {TORCH_HINT}") -> Any:
    """The torch module, or a one-line error ``needed_by`` when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        raise MitoolError(needed_by) from None
    return torch


def torch_device(torch: Any, name: str) -> Any:
    """The torch device for ``cpu``, ``cuda`` or ``auto`` (cuda when available)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise MitoolError("--device cuda was asked for, but PyTorch sees no CUDA device here")
    return torch.device(name)


def _chunk(n: int, dim: int) -> int:
    return max(1, min(n, BLOCK_BYTES // (8 * max(1, n) * (dim + 2))))


def _on_device(points: np.ndarray, device: str) -> tuple[Any, Any, int]:
    torch = import_torch()
    p = torch.as_tensor(
        np.ascontiguousarray(points, dtype=np.float64), device=torch_device(torch, device)
    )
    return torch, p, _chunk(len(points), points.shape[1])


def knn(z: np.ndarray, k: int, device: str = "cpu") -> np.ndarray:
    """k-th max-norm neighbour distance of each row of ``z``, itself excluded."""
    torch, p, chunk = _on_device(z, device)
    n = len(z)
    out = torch.empty(n, dtype=torch.float64, device=p.device)
    for start in range(0, n, chunk):
        block = p[start : start + chunk]
        dist = (block[:, None, :] - p[None, :, :]).abs_().amax(dim=2)
        rows = torch.arange(len(block), device=p.device)
        dist[rows, rows + start] = float("inf")  # exclude the point itself
        out[start : start + len(block)] = dist.topk(k, dim=1, largest=False).values[:, -1]
    return out.cpu().numpy()


def count(points: np.ndarray, radius: np.ndarray, device: str = "cpu") -> np.ndarray:
    """#{j : max_d |p_jd − p_id| <= radius_i} for every i (j = i included)."""
    torch, p, chunk = _on_device(points, device)
    r = torch.as_tensor(np.ascontiguousarray(radius, dtype=np.float64), device=p.device)
    n = len(points)
    out = torch.empty(n, dtype=torch.int64, device=p.device)
    for start in range(0, n, chunk):
        block = p[start : start + chunk]
        dist = (block[:, None, :] - p[None, :, :]).abs_().amax(dim=2)
        out[start : start + len(block)] = (dist <= r[start : start + len(block), None]).sum(1)
    return out.cpu().numpy()
