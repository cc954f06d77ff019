"""The EHRCon family: is a clinical note consistent with the charted data, and how many of its statements about"""

from .family import EhrconFamily

__all__ = ["EhrconFamily"]
