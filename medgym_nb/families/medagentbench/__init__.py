"""The MedAgentBench family: query and update an EHR through FHIR R4, graded from the server's state."""

from .family import MedAgentBenchFamily

__all__ = ["MedAgentBenchFamily"]
