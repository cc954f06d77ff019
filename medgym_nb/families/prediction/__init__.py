"""The prediction family: EHRSHOT and MIMIC-Extract, where the agent trains a model in its kernel and writes"""

from .family import PredictionFamily

__all__ = ["PredictionFamily"]
