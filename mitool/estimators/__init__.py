"""Estimator registry: importing this package registers every estimator module."""

from mitool.estimators import bi_ksg, discrete, ksg, neural  # noqa: F401  (imported to register)
from mitool.estimators.base import REGISTRY, EstimatorSpec, get_estimator

__all__ = ["REGISTRY", "EstimatorSpec", "get_estimator"]
