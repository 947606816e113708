"""Write the sample pair: correlated Gaussians with known mutual information, in every format.

X, T ~ N(0, I_2) with E[X_i T_i] = 0.8 (T = 0.8 X + 0.6 Z), n = 2000, seed 0, so
I(X; T) = -(d/2) ln(1 - rho^2) = -ln(0.36) = 1.0217 nats (1.4739 bits).

    python sample_data/make_sample_data.py
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

N, D, RHO, SEED = 2000, 2, 0.8, 0


def main() -> None:
    here = Path(__file__).parent
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((N, D))
    t = RHO * x + np.sqrt(1 - RHO**2) * rng.standard_normal((N, D))
    np.save(here / "x.npy", x)
    np.save(here / "t.npy", t)
    np.savez(here / "pair.npz", x=x, t=t)
    with h5py.File(here / "pair.h5", "w") as f:
        f["x"] = x
        f["t"] = t
    columns = {"x0": x[:, 0], "x1": x[:, 1], "t0": t[:, 0], "t1": t[:, 1]}
    pq.write_table(pa.table(columns), here / "pair.parquet")
    rows = np.column_stack(list(columns.values()))
    np.savetxt(
        here / "pair.csv", rows, fmt="%.17g", delimiter=",", header=",".join(columns), comments=""
    )
    print(f"wrote {N} rows; true MI = {-D / 2 * np.log(1 - RHO**2):.4f} nats")


if __name__ == "__main__":
    main()
