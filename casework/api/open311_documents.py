"""GeoReport v2 documents in both of the spec's formats, XML (its default) and JSON.

JSON follows the spec's Spark convention: the XML tree without its list wrappers, so one payload (plain dicts and
lists) renders to both. A list is written in XML as its plural element holding one singular element per item
(``<services><service>…``), which is why every list field name must be known here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi.responses import Response

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
MEDIA_TYPES: dict[Format, str] = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# plural element → the element of each item (spec element names; the last two are the discovery document's)
ITEM_ELEMENTS = {
    "services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
    "values": "value", "endpoints": "endpoint", "formats": "format",
}
# Characters XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/U+FFFF): a stored text holding one must not
# make the document ill-formed or unencodable, in either format.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    return _NOT_XML_CHAR.sub("\ufffd", value)


def is_text(value: str) -> bool:
    """Whether ``value`` holds only characters a document (and a PostgreSQL text column: no NUL) can carry."""
    return _NOT_XML_CHAR.search(value) is None


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _fill(SubElement(element, name), item)
    elif isinstance(value, list):
        child = ITEM_ELEMENTS[element.tag]
        for item in value:
            _fill(SubElement(element, child), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:  # None: an empty element, as the spec's <account_id/>
        element.text = _text(str(value))


def xml_document(root: str, payload: Any) -> bytes:
    """``payload`` (a list for a plural root, a dict otherwise) as the spec's XML, with its declaration."""
    element = Element(root)
    _fill(element, payload)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(element, encoding="unicode").encode("utf-8")


def render(fmt: Format, root: str, payload: Any, status: int = 200,
           headers: Mapping[str, str] | None = None) -> Response:
    if fmt == "xml":
        body = xml_document(root, payload)
    else:
        body = json.dumps(_clean(payload), ensure_ascii=False, allow_nan=False).encode("utf-8")
    return Response(body, status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers)


def format_of(path: str) -> Format:
    """The format a path asks for: ``.json`` gives JSON, anything else the spec's default, XML."""
    return "json" if path.endswith(".json") else "xml"


def error_document(path: str, status: int, description: str, headers: Mapping[str, str] | None = None) -> Response:
    """The spec's error document (``<errors><error><code/><description/>``) in the format ``path`` asks for."""
    return render(format_of(path), "errors", [{"code": status, "description": description}], status, headers)
