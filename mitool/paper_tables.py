"""The accuracy study of paper 000 (§5.2, Tables 2, 3, 7 and 8): its rows and its numbers.

Transcribed from ``../shared/reference/paper-000-digest.md`` §4. Each row is (transforms, d, N);
transforms are listed in the canonical order dn → ds → rm → cb → sg (digest §7.10).

- Tables 2 and 3 (additive Gaussian base, 40 trials, N = 1000): normalized RMSE of the KSG and
  MINE families. Table 7 is their full version (RMSE-norm, Spearman, bias); its Spearman and bias
  columns are garbled in the source, so only the RMSE-norm of Tables 2/3 is kept.
- Table 8 (correlated Gaussian base): legible rows only. Its transformation flags are illegible
  in the source; the transforms here are the digest's inference from the estimators' signatures
  (e.g. ksg-glo ≫ ksg-glo-L∞ means ds), so they are marked ``inferred``. Blocks whose d or
  transforms could not be recovered (5, 6, 8, 9, 11, 12, 13) are left out.
"""

from __future__ import annotations

from typing import NamedTuple

KSG_PAIRS = ("ksg/none", "bi-ksg/none", "ksg/local", "ksg/global", "ksg/global-linf")
MINE_PAIRS = ("mine/none", "mine/local", "mine/global", "mine/global-corrected")


class PaperRow(NamedTuple):
    transforms: tuple[str, ...]
    d: int
    n: int
    values: dict[str, float | None]  # pair → the paper's normalized RMSE (None: not legible)


def _rows(
    spec: list[tuple[str, int, tuple[float | None, ...]]], pairs: tuple[str, ...], n: int = 1000
) -> list[PaperRow]:
    from mitool.transform_names import canonical, parse

    return [
        PaperRow(canonical(parse(t)), d, n, dict(zip(pairs, v, strict=True))) for t, d, v in spec
    ]


# Table 2: normalized RMSE, KSG family, additive Gaussian base (digest §4.1).
TABLE2 = _rows(
    [
        ("cb,sg,ds", 2, (0.351, 0.404, 0.147, 0.208, 0.110)),
        ("sg,ds", 2, (0.286, 0.335, 0.060, 0.084, 0.050)),
        ("cb,sg", 2, (0.458, 0.533, 0.145, 0.113, 0.113)),
        ("sg", 4, (1.275, 1.424, 0.312, 0.300, 0.301)),
        ("rm,dn", 4, (0.862, 0.932, 0.445, 0.594, 0.396)),
        ("ds", 4, (0.332, 0.342, 0.304, 0.520, 0.297)),
        ("dn", 4, (0.332, 0.342, 1.327, 0.298, 0.297)),
        ("rm,cb", 4, (1.131, 1.233, 0.977, 0.959, 0.931)),
        ("sg,dn", 4, (1.275, 1.424, 1.334, 0.300, 0.301)),
        ("cb,sg,dn", 6, (1.981, 2.129, 1.904, 1.021, 1.021)),
        ("sg", 6, (1.983, 2.131, 0.816, 0.811, 0.812)),
        ("cb,ds", 6, (1.377, 1.408, 1.343, 1.605, 1.290)),
        ("rm,ds", 6, (1.643, 1.730, 1.275, 1.660, 1.153)),
        ("sg,dn", 6, (1.983, 2.131, 1.905, 0.814, 0.816)),
    ],
    KSG_PAIRS,
)

# Table 3: normalized RMSE, MINE family, additive Gaussian base (digest §4.2); same rows.
TABLE3 = _rows(
    [
        ("cb,sg,ds", 2, (0.470, 0.292, 0.337, 0.278)),
        ("sg,ds", 2, (0.445, 0.255, 0.275, 0.233)),
        ("cb,sg", 2, (1.036, 0.560, 0.658, 0.565)),
        ("sg", 4, (1.302, 0.720, 0.968, 0.684)),
        ("rm,dn", 4, (0.930, 0.438, 0.803, 0.381)),
        ("ds", 4, (0.276, 0.369, 0.642, 0.375)),
        ("dn", 4, (0.622, 0.423, 0.895, 0.269)),
        ("rm,cb", 4, (1.574, 1.099, 1.219, 1.162)),
        ("sg,dn", 4, (1.335, 0.423, 0.895, 0.286)),
        ("cb,sg,dn", 6, (1.881, 0.570, 1.516, 0.437)),
        ("sg", 6, (1.843, 1.147, 1.535, 1.185)),
        ("cb,ds", 6, (1.213, 0.991, 1.444, 1.004)),
        ("rm,ds", 6, (1.014, 1.088, 1.441, 1.058)),
        ("sg,dn", 6, (1.831, 0.517, 1.499, 0.545)),
    ],
    MINE_PAIRS,
)

# Table 8: correlated Gaussian base, legible blocks with inferred transforms (digest §4.4):
# block number → (transforms, N, d, normalized RMSE of the nine pairs, KSG then MINE).
_TABLE8 = [
    (1, "", 200, 2, (0.125, None, 0.122, None, 0.115, 0.573, None, None, 0.555)),
    (2, "ds", 200, 2, (0.138, 0.140, 0.140, 0.160, 0.116, 0.359, 0.321, 0.475, 0.315)),
    (3, "rm,ds", 200, 2, (0.305, 0.332, 0.281, 0.324, 0.233, 0.850, 0.416, 0.544, 0.405)),
    (4, "rm,sg,ds", 1000, 2, (0.129, 0.151, 0.072, 0.094, 0.060, 0.278, 0.135, 0.195, 0.155)),
    (7, "sg", 200, 2, (0.962, 1.088, 0.481, 0.470, 0.469, 1.014, 0.949, 0.982, 0.934)),
    (10, "dn", 1000, 20, (0.258, 0.259, 0.793, 0.253, 0.253, 0.514, 0.489, 0.680, 0.285)),
    (14, "rm,ds", 200, 10, (1.356, 1.412, 1.229, 1.321, 1.213, 1.287, 1.163, 1.382, 1.162)),
    (15, "rm,ds", 1000, 10, (1.217, 1.260, 1.158, 1.353, 1.063, 0.937, 0.886, 1.077, 0.912)),
    (16, "sg,dn", 1000, 10, (1.424, 1.516, 1.386, 0.875, 0.877, 1.185, 0.808, 1.090, 0.723)),
    (17, "rm,ds", 1000, 2, (0.141, 0.159, 0.093, 0.078, 0.061, 0.280, 0.157, 0.235, 0.150)),
]
TABLE8 = [_rows([(t, d, v)], KSG_PAIRS + MINE_PAIRS, n)[0] for _, t, n, d, v in _TABLE8]
TABLE8_BLOCKS = [block for block, *_ in _TABLE8]

#: preset name → (base, rows, the estimator/norm pairs it compares).
PRESETS: dict[str, tuple[str, list[PaperRow], tuple[str, ...]]] = {
    "table2": ("additive", TABLE2, KSG_PAIRS),
    "table3": ("additive", TABLE3, MINE_PAIRS),
    "table7": (
        "additive",
        [
            PaperRow(a.transforms, a.d, a.n, {**a.values, **b.values})
            for a, b in zip(TABLE2, TABLE3, strict=True)
        ],
        KSG_PAIRS + MINE_PAIRS,
    ),
    "table8": ("correlated", TABLE8, KSG_PAIRS + MINE_PAIRS),
    "table8-ksg": ("correlated", TABLE8, KSG_PAIRS),
}
