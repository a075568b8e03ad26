"""XML every published file is written with: always well-formed, whatever its texts hold.

The input refuses control characters, but a text reaches an XML file from more places than
the incident: a history.json or cap-index.json written by an older version, a template's own
output, a provider's words. XML 1.0 forbids most C0 controls (ESC, backspace...), lone
surrogates and U+FFFE/U+FFFF: one of them anywhere makes the whole file unreadable to every
feed reader and aggregator, and since the feeds are rebuilt from the folder's history, every
later version's too. So every XML writer (CAP messages and their Atom index, the status
site's feed, the TwiML of calls) goes through ``xml_text`` or ``xml_document``, which remove
such characters rather than refuse: the file is the public's, and a byte an older version let
through must not stop the next clean version from being published.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

# What XML 1.0 allows (section 2.2), less DEL and the C1 controls it "discourages": they are
# never meant as text, and a terminal or reader would act on them. Lone surrogates (which
# json.loads returns for "\ud800") fall outside too: they could not even be encoded.
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters an XML document cannot or should not hold."""
    return _NOT_XML.sub("", text)


def xml_document(root: ET.Element) -> bytes:
    """``root`` as an indented UTF-8 XML document, every text, tail and attribute cleaned by
    ``xml_text`` first: the one way this package serialises an ElementTree."""
    for element in root.iter():
        if element.text:
            element.text = xml_text(element.text)
        if element.tail:
            element.tail = xml_text(element.tail)
        for name, value in element.attrib.items():
            element.set(name, xml_text(value))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
