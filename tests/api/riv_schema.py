"""Validation against Inera's published GetCarePlans schemas, vendored in ``api/riv/``
(see its README), with lxml's XML Schema validator (libxml2). Returns the list of
errors, empty when the element is valid."""

import xml.etree.ElementTree as StdET  # serialises elements the tests parsed with defusedxml
from pathlib import Path

from lxml import etree

SCHEMA_DIR = (
    Path(__file__).resolve().parents[2] / "api" / "riv" / "clinicalprocess_logistics_logistics_3.0"
)
RESPONDER_XSD = (
    SCHEMA_DIR / "interactions" / "GetCarePlansInteraction" / "GetCarePlansResponder_2.0.xsd"
)


class Schema:
    def __init__(self, path: Path):
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        self._schema = etree.XMLSchema(etree.parse(str(path), parser))

    def validate(self, element) -> list[str]:
        """``element``: a ``GetCarePlans`` or ``GetCarePlansResponse`` element (standard
        library or lxml) or its XML as bytes."""
        if isinstance(element, bytes | str):
            data = element.encode() if isinstance(element, str) else element
        elif isinstance(element, etree._Element):
            data = etree.tostring(element)
        else:
            data = StdET.tostring(element)
        document = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
        if self._schema.validate(document):
            return []
        return [f"line {e.line}: {e.message}" for e in self._schema.error_log]


def getcareplans_schema() -> Schema:
    return Schema(RESPONDER_XSD)
