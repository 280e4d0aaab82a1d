"""Names people choose, made safe to put in an e-mail AMS sends on their behalf.

A team name and a display name are free text, and an invitation carries both to an address the
sender chose: written as they are, a name such as "Your account is locked, sign in at
evil.example" turns AMS's sender into a phishing relay. In a subject and a text part a name is
cut short, stripped of control characters (a newline would start a header or a paragraph), and
anything that reads as a web address is defanged ("evil[.]example"), so no mail client links it.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 60

# A scheme, "www.", or a dotted name ending in letters (a domain), as mail clients link them.
_ADDRESS = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S*|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b"
)


def name_for_mail(name: str, *, limit: int = MAX_NAME) -> str:
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in name)
    text = " ".join(text.split())
    text = _ADDRESS.sub(lambda m: m.group(0).replace(".", "[.]").replace("://", "[:]//"), text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
