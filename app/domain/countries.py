"""ISO 3166-1 alpha-2 country codes (pycountry's copy of the standard)."""

from __future__ import annotations

import pycountry

from app.domain.errors import InvalidInput

# ISO 3166-1 reserves ZZ for user assignment; the tracker uses it for practice cases only.
PRACTICE_COUNTRY = "ZZ"


def country_name(code: str) -> str:
    """The country's common name, e.g. 'Latvia' for LV."""
    if code == PRACTICE_COUNTRY:
        return "Practice state"
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def check_country(code: str) -> str:
    """The code in upper case, or InvalidInput naming what a code looks like."""
    normalised = code.strip().upper()
    if len(normalised) != 2 or pycountry.countries.get(alpha_2=normalised) is None:
        raise InvalidInput(
            f"country: {code!r} is not an ISO 3166-1 alpha-2 country code (e.g. LV, PL, FI)",
            field="country",
        )
    return normalised


def countries_named(text: str) -> list[str]:
    """The codes of the countries whose name contains `text` (any case): "lat" finds LV."""
    wanted = text.strip().casefold()
    if not wanted:
        return []
    return [
        c.alpha_2
        for c in pycountry.countries
        if any(wanted in str(getattr(c, key, "")).casefold() for key in ("name", "common_name"))
    ]
