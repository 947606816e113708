"""Estimator registry: importing this package registers every estimator module."""

from mitool.estimators import (  # noqa: F401  (imported to register)
    bi_ksg,
    discrete,
    gcmi,
    ksg,
    ksg_gcmi,
    mixed_ksg,
    neural,
    plugin,
)
from mitool.estimators.base import REGISTRY, EstimatorSpec, get_estimator

__all__ = ["REGISTRY", "EstimatorSpec", "get_estimator"]
