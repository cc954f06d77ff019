"""The EHR-SeqSQL family: sequences of related questions over one EHR database, asked turn by turn in one episode."""

from .family import EhrSeqsqlFamily

__all__ = ["EhrSeqsqlFamily"]
