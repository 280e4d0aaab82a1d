"""The styles numbers and dates are written in, and which one a request gets.

A user's own choice (their profile) wins; without one, the browser's Accept-Language header picks the
closest style; without that, international English. Each style is a language code of
``settings.LANGUAGES`` with its format module in ``ams.core.locale_formats``.
"""

from __future__ import annotations

from django.utils.translation.trans_real import parse_accept_lang_header

INTERNATIONAL = "en"
US = "en-us"
DOT_GROUPS = "en-de"
SPACE_GROUPS = "en-fr"

STYLES = [
    (INTERNATIONAL, "1,234.56 · 7 Dec 2026 (international)"),
    (US, "1,234.56 · Dec 7, 2026 (United States)"),
    (DOT_GROUPS, "1.234,56 · 07.12.2026 (Germany, Italy, Spain, Netherlands…)"),
    (SPACE_GROUPS, "1 234,56 · 07/12/2026 (France, Sweden, Poland…)"),
]
CODES = frozenset(code for code, _label in STYLES)

# Languages and regions whose numbers group with dots or spaces; every other English reads like
# the international style, and United States English like the US one.
_DOT_LANGUAGES = frozenset({"de", "nl", "it", "es", "pt", "tr", "da", "id", "ro", "el", "hr", "sl"})
_SPACE_LANGUAGES = frozenset(
    {"fr", "sv", "pl", "cs", "sk", "nb", "nn", "no", "fi", "ru", "uk", "hu", "bg", "et", "lt", "lv"}
)


def style_for_language(tag: str) -> str | None:
    """The style of one language tag ("de-AT", "en-US", "fr"), or None for "*" and the unknown."""
    language, _, region = tag.lower().replace("_", "-").partition("-")
    region = region.split("-")[0]
    if language == "en":
        return US if region == "us" else INTERNATIONAL
    if language in _DOT_LANGUAGES:
        return DOT_GROUPS
    if language in _SPACE_LANGUAGES:
        return SPACE_GROUPS
    return None


def style_from_header(header: str) -> str:
    """The style of the browser's preferred language that has one, else international."""
    for tag, _quality in parse_accept_lang_header(header[:500]):
        style = style_for_language(tag)
        if style:
            return style
    return INTERNATIONAL
