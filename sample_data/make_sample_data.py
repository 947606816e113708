"""Write the sample pair: correlated Gaussians with known mutual information, in every format.

X, T ~ N(0, I_2) with corr(X_i, T_i) = rho = 0.8 (T = rho X + sqrt(1 - rho^2) Z), n = 2000,
seed 0, so I(X; T) = -(d/2) ln(1 - rho^2) = -ln(0.36) = 1.0217 nats (1.4739 bits).

    python sample_data/make_sample_data.py
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

N, D, RHO, SEED = 2000, 2, 0.8, 0


def make_pair() -> tuple[np.ndarray, np.ndarray]:
    """X and T, float64 arrays of shape (N, D); the same on every run."""
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((N, D))
    t = RHO * x + np.sqrt(1 - RHO**2) * rng.standard_normal((N, D))
    return x, t


def true_mi() -> float:
    """I(X; T) in nats."""
    return -D / 2 * np.log(1 - RHO**2)


def main() -> None:
    """Write x.npy, t.npy, pair.npz, pair.h5, pair.parquet and pair.csv next to this script."""
    here = Path(__file__).parent
    x, t = make_pair()
    np.save(here / "x.npy", x)
    np.save(here / "t.npy", t)
    np.savez(here / "pair.npz", x=x, t=t)
    with h5py.File(here / "pair.h5", "w") as f:
        f.create_dataset("x", data=x)
        f.create_dataset("t", data=t)
    columns = {f"x{j}": x[:, j] for j in range(D)} | {f"t{j}": t[:, j] for j in range(D)}
    pq.write_table(pa.table(columns), here / "pair.parquet")
    rows = np.column_stack(list(columns.values()))
    np.savetxt(
        here / "pair.csv", rows, fmt="%.10g", delimiter=",", header=",".join(columns), comments=""
    )
    mi = true_mi()
    print(f"wrote {N} rows to {here}; true MI = {mi:.4f} nats ({mi / np.log(2):.4f} bits)")


if __name__ == "__main__":
    main()
