"""The BioDSBench family: analyses of cBioPortal studies, graded by ``assert`` test cases that check what the"""

from .family import BiodsbenchFamily

__all__ = ["BiodsbenchFamily"]
