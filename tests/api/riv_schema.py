"""Validation of an element against the GetCarePlans XSDs in ``api/riv/``, with the
standard library: the subset those schemas use (sequences of qualified elements with
minOccurs/maxOccurs, xs:string, xs:boolean, xs:base64Binary, xs:anyURI, and simple
types restricted by enumeration or pattern). Returns the list of errors."""

import base64
import binascii
import re
from pathlib import Path

import defusedxml.ElementTree as ET

XS = "{http://www.w3.org/2001/XMLSchema}"
XS_NS = "http://www.w3.org/2001/XMLSchema"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "api" / "riv"


class Schema:
    def __init__(self, *files):
        self.complex = {}
        self.simple = {}
        self.elements = {}
        for name in files:
            self._load(SCHEMA_DIR / name)

    def _load(self, path):
        root = ET.parse(path).getroot()
        tns = root.get("targetNamespace")
        prefixes = {
            prefix: uri for _event, (prefix, uri) in ET.iterparse(path, events=["start-ns"])
        }

        def qname(value):
            prefix, _sep, local = value.rpartition(":")
            return f"{{{prefixes[prefix]}}}{local}" if prefix else f"{{{tns}}}{local}"

        for child in root:
            name = f"{{{tns}}}{child.get('name')}"
            if child.tag == f"{XS}complexType":
                self.complex[name] = [
                    (
                        f"{{{tns}}}{el.get('name')}",
                        qname(el.get("type")),
                        int(el.get("minOccurs", "1")),
                        el.get("maxOccurs", "1"),
                    )
                    for el in child.find(f"{XS}sequence")
                ]
            elif child.tag == f"{XS}simpleType":
                restriction = child.find(f"{XS}restriction")
                self.simple[name] = (
                    [e.get("value") for e in restriction.findall(f"{XS}enumeration")],
                    [p.get("value") for p in restriction.findall(f"{XS}pattern")],
                )
            elif child.tag == f"{XS}element":
                self.elements[name] = qname(child.get("type"))

    def validate(self, element) -> list[str]:
        if element.tag not in self.elements:
            return [f"{element.tag}: not a global element"]
        errors = []
        self._check(element, self.elements[element.tag], element.tag, errors)
        return errors

    def _check(self, element, type_name, where, errors):
        if type_name in self.complex:
            children = list(element)
            if (element.text or "").strip():
                errors.append(f"{where}: text in a complex element")
            index = 0
            for name, child_type, min_occurs, max_occurs in self.complex[type_name]:
                count = 0
                while index < len(children) and children[index].tag == name:
                    self._check(children[index], child_type, f"{where}/{name}", errors)
                    index += 1
                    count += 1
                if count < min_occurs:
                    errors.append(f"{where}: {name} missing")
                if max_occurs != "unbounded" and count > int(max_occurs):
                    errors.append(f"{where}: {name} {count} times")
            for child in children[index:]:
                errors.append(f"{where}: unexpected {child.tag}")
            return
        if len(element):
            errors.append(f"{where}: elements in a simple element")
        text = element.text or ""
        if type_name in self.simple:
            enumeration, patterns = self.simple[type_name]
            if enumeration and text not in enumeration:
                errors.append(f"{where}: {text!r} not in {enumeration}")
            for pattern in patterns:
                if not re.fullmatch(pattern, text):
                    errors.append(f"{where}: {text!r} does not match {pattern}")
        elif type_name == f"{{{XS_NS}}}boolean":
            if text not in ("true", "false", "1", "0"):
                errors.append(f"{where}: {text!r} not a boolean")
        elif type_name == f"{{{XS_NS}}}base64Binary":
            try:
                base64.b64decode(text, validate=True)
            except binascii.Error:
                errors.append(f"{where}: not base64")
        elif type_name in (f"{{{XS_NS}}}string", f"{{{XS_NS}}}anyURI"):
            pass
        else:
            errors.append(f"{where}: unknown type {type_name}")


def getcareplans_schema() -> Schema:
    return Schema("clinicalprocess_logistics_logistics_3.xsd", "GetCarePlansResponder_2.0.xsd")
