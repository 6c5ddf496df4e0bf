"""The FHIR R4 facade (``/fhir/``): resources built and validated in ``resources``,
served by ``api``."""
