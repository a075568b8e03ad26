"""What an incident tells machine readers through CAP: where it is (``Area``: polygons, circles,
geocodes) and the CAP words to use instead of those mapped from status and severity
(``CapWords``).
"""

from __future__ import annotations

import re
from typing import Literal

from broadcast.input.schema import BaseModel, ConfigDict, Field, field_validator

_POINT = r"-?\d{1,2}(?:\.\d+)?,-?\d{1,3}(?:\.\d+)?"


class Area(BaseModel):
    """Where the incident is, for machine readers (CAP's ``<area>``); ``affected`` says it in
    words when ``description`` is left out."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    description: str | None = None
    # WGS 84 "lat,lon" pairs separated by spaces, the first repeated last (CAP 1.2, 3.2.4).
    polygons: list[str] = Field(default_factory=list)
    # "lat,lon radius" with the radius in kilometres.
    circles: list[str] = Field(default_factory=list)
    # valueName: value, e.g. {INSEE: "59350"} (a commune), {NUTS3: FRE11}.
    geocodes: dict[str, str] = Field(default_factory=dict)

    @field_validator("polygons")
    @classmethod
    def _closed_rings(cls, value: list[str]) -> list[str]:
        for polygon in value:
            points = polygon.split()
            if not all(re.fullmatch(_POINT, point) for point in points):
                raise ValueError(f"'{polygon[:80]}' is not a list of lat,lon pairs")
            if len(points) < 4 or points[0] != points[-1]:
                raise ValueError("a polygon has at least 4 lat,lon pairs and ends where it starts")
        return value

    @field_validator("circles")
    @classmethod
    def _circles(cls, value: list[str]) -> list[str]:
        for circle in value:
            if not re.fullmatch(_POINT + r" \d+(?:\.\d+)?", circle):
                raise ValueError(f"'{circle[:80]}' is not a circle: write it lat,lon radius_km")
        return value


class CapWords(BaseModel):
    """The CAP 1.2 values to use instead of those mapped from the status and severity."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    category: (
        list[
            Literal[
                "Geo",
                "Met",
                "Safety",
                "Security",
                "Rescue",
                "Fire",
                "Health",
                "Env",
                "Transport",
                "Infra",
                "CBRNE",
                "Other",
            ]
        ]
        | None
    ) = None
    event: str | None = None
    urgency: Literal["Immediate", "Expected", "Future", "Past", "Unknown"] | None = None
    severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"] | None = None
    certainty: Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"] | None = None
    response_type: (
        list[
            Literal[
                "Shelter",
                "Evacuate",
                "Prepare",
                "Execute",
                "Avoid",
                "Monitor",
                "Assess",
                "AllClear",
                "None",
            ]
        ]
        | None
    ) = None
