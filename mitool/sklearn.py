"""A scikit-learn score function: ``SelectKBest(mitool.sklearn.mi_score, k=10)``.

scikit-learn's feature selectors call ``score_func(X, y)`` and take ``(scores, pvalues)``
(:class:`sklearn.feature_selection.SelectKBest`, ``SelectPercentile``, ``GenericUnivariateSelect``).
:func:`mi_score` returns each column's mutual information with ``y`` in nats from
:func:`mitool.screening.screen` (``auto``: each feature diagnosed, class labels in ``y`` handled
by Ross's estimator), and p-values when the scorer runs permutations, else None::

    from sklearn.feature_selection import SelectKBest
    import mitool.sklearn

    SelectKBest(mitool.sklearn.mi_score, k=10).fit(X, y)
    fast = mitool.sklearn.make_mi_score(estimator="ksg", norm="rank", jobs=2)
    tested = mitool.sklearn.make_mi_score(estimator="ksg", norm="rank", permutations=20)
    SelectKBest(tested, k=10).fit(X, y).pvalues_   # pooled-permutation p-values

Nothing here imports scikit-learn: the protocol is plain arrays, so ``import mitool.sklearn``
stays light. A scorer made by :func:`make_mi_score` is a :func:`functools.partial` of a
module-level function, so it pickles (``joblib``, ``GridSearchCV`` with ``n_jobs``).

Differences from ``sklearn.feature_selection.mutual_info_regression``: scikit-learn divides
each column and y by its standard deviation and adds noise of 1e-10 × max(1, mean |x|) to
break ties, then clips negative estimates to 0. mitool's ``auto`` chooses a norm per feature
(``local`` is the same division by the sd) and breaks ties only where rows repeat, with jitter
relative to each column's spread; estimates below 0 are kept (they say "no evidence of
dependence", and clipping would bias sums and means of scores). With ``estimator="ksg",
norm="local"`` on tie-free data the scores equal scikit-learn's to rounding wherever its are
above 0.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

#: What :func:`mi_score` passes to :func:`mitool.screening.screen` unless told otherwise.
DEFAULTS: tuple[tuple[str, Any], ...] = (("estimator", "auto"),)


def mi_score(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray | None]:  # noqa: N803 (sklearn's name)
    """Mutual information of each column of ``X`` with ``y``, in nats, and no p-values.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features).
    y : array-like of shape (n_samples,): a continuous target, or class labels (numbers or
        text).

    Returns
    -------
    (scores, None) : scores of shape (n_features,), NaN where a feature could not be
        estimated (scikit-learn ranks NaN last).
    """
    return _score(X, y)


def make_mi_score(**options: Any) -> Callable[[Any, Any], tuple[np.ndarray, np.ndarray | None]]:
    """A score function like :func:`mi_score` with options for :func:`mitool.screening.screen`
    (``estimator``, ``norm``, ``k``, ``permutations``, ``null``, ``seed``, ``jobs``,
    ``search``, ...). With ``permutations`` the second element holds p-values (pooled over
    the features where that is exact, see :mod:`mitool.screening`).

    Options that shape the result's layout (``top``, ``select``, ``fdr``, ``features``,
    ``groups``, ``units``) are refused: a score function returns one score per column, in
    nats.
    """
    refused = sorted(set(options) & {"top", "select", "fdr", "features", "groups", "units"})
    if refused:
        from mitool.errors import MitoolError

        raise MitoolError(
            f"make_mi_score does not take {', '.join(refused)}: a score function returns one "
            "score per column (SelectKBest picks the best k)"
        )
    return partial(_score, **options)


def _score(X: Any, y: Any, **options: Any) -> tuple[np.ndarray, np.ndarray | None]:  # noqa: N803
    from mitool.errors import InputError
    from mitool.screening import screen

    if hasattr(X, "toarray") and hasattr(X, "nnz"):  # a scipy sparse matrix
        raise InputError("X", "is sparse; pass a dense array (X.toarray())")
    data = np.asarray(X)
    if data.ndim != 2:
        raise InputError("X", f"must be 2-D (n_samples, n_features), got shape {data.shape}")
    settings = {**dict(DEFAULTS), **options}
    result = screen(data, np.asarray(y), **settings)
    scores = np.asarray(result.values, dtype=float)
    pvalues = None if result.p_values is None else np.asarray(result.p_values, dtype=float)
    return scores, pvalues
