"""The element names of the GeoReport v2 and Service Discovery specifications, to check the service's XML
against: every element of a document must be one the spec defines at that place, nothing foreign."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, fromstring

REQUEST = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
           "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
           "address", "address_id", "zipcode", "lat", "long", "media_url")
# parent element → the children the spec allows there
SPEC: dict[str, set[str]] = {
    "services": {"service"},
    "service": {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"},
    "service_definition": {"service_code", "attributes"},
    "attributes": {"attribute"},
    "attribute": {"variable", "code", "datatype", "required", "datatype_description", "order", "description",
                  "values"},
    "values": {"value"},
    "value": {"key", "name"},
    # a created request (service_request_id or token, service_notice, account_id) or a found one
    "service_requests": {"request"},
    "request": {*REQUEST, "token", "account_id"},
    "errors": {"error"},
    "error": {"code", "description"},
    "discovery": {"changeset", "contact", "key_service", "endpoints"},
    "endpoints": {"endpoint"},
    "endpoint": {"specification", "url", "changeset", "type", "formats"},
    "formats": {"format"},
}


def spec_xml(body: bytes, root: str) -> Element:
    """Parse a response body, checking its declaration, root and every element name against the spec."""
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), body[:60]
    doc = fromstring(body)
    assert doc.tag == root, (doc.tag, root)

    def walk(element: Element) -> None:
        for child in element:
            assert child.tag in SPEC.get(element.tag, set()), f"<{child.tag}> is not a child of <{element.tag}>"
            walk(child)

    walk(doc)
    return doc


def items(doc: Element) -> list[dict[str, Any]]:
    """The records of a plural document (<services>, <service_requests>, <errors>) as {element: text}."""
    return [{child.tag: child.text for child in item} for item in doc]
