"""What an incident tells machine readers through CAP: where it is (``Area``: polygons, circles,
geocodes) and the CAP words to use instead of those mapped from status and severity
(``CapWords``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from broadcast.input.error_words import Worded
from broadcast.input.schema import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from broadcast.input.area_target import Territory

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
    # valueName: value, e.g. {INSEE: "59350"} (a commune), {NUTS3: FRE11}; a value may be a
    # list of codes, and a plain list is a list of INSEE codes. Recipients whose ``commune``
    # column holds a listed INSEE code are in the area (input.area_target).
    geocodes: dict[str, str | list[str]] = Field(default_factory=dict)
    # Postcodes whose recipients (``postcode`` column) are in the area.
    postcodes: list[str] = Field(default_factory=list)
    # Recipients the CSV gives no usable place for: sent to or not (the default: exclude,
    # and the preview says so). A channel's own ``unlocated`` wins.
    unlocated: Literal["include", "exclude"] | None = None
    # Said to those an earlier version reached who are now outside the area ("you are out of
    # danger"); without it they get nothing more.
    left_area: str | None = None

    @field_validator("geocodes", mode="before")
    @classmethod
    def _codes_list(cls, value: object) -> object:
        if isinstance(value, list):
            return {"INSEE": [str(code) for code in value]}
        return value

    @field_validator("postcodes", mode="before")
    @classmethod
    def _postcodes_text(cls, value: object) -> object:
        # 59000 written unquoted in YAML is a number: it is the same postcode.
        if isinstance(value, list):
            return [str(code) if isinstance(code, int) else code for code in value]
        return value

    @field_validator("polygons")
    @classmethod
    def _closed_rings(cls, value: list[str]) -> list[str]:
        for number, polygon in enumerate(value, 1):
            points = polygon.split()
            if not all(re.fullmatch(_POINT, point) for point in points):
                raise Worded("not_lat_lon_pairs", given=polygon[:80])
            from broadcast.input.area_target import shape_refusal  # shapely: only for shapes

            refusal = shape_refusal(polygon, number)
            if refusal is not None:
                raise Worded(refusal[0], **refusal[1])
        return value

    @field_validator("circles")
    @classmethod
    def _circles(cls, value: list[str]) -> list[str]:
        for circle in value:
            if not re.fullmatch(_POINT + r" \d+(?:\.\d+)?", circle):
                raise Worded("not_a_circle", given=circle[:80])
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


class TerritorySetting(BaseModel):
    """channels.yaml's ``territory:``: where the organisation serves, as a polygon
    (``"lat,lon lat,lon ..."``, closed) or a bounding box of two opposite corners
    (``"lat,lon lat,lon"``). An incident's area outside it is refused: a polygon typed with
    lat and lon swapped lands in another country."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    polygon: str | None = None
    bbox: str | None = None

    @field_validator("polygon")
    @classmethod
    def _polygon(cls, value: str | None) -> str | None:
        if value is not None:
            if not all(re.fullmatch(_POINT, point) for point in value.split()):
                raise ValueError(f"'{value[:80]}' is not a list of lat,lon pairs")
            from broadcast.input.area_target import shape_problem

            problem = shape_problem(value, 1)
            if problem is not None:
                raise ValueError(problem.replace("polygon 1", "the territory"))
        return value

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(_POINT + " " + _POINT, value):
            raise ValueError(
                f"'{value[:80]}' is not a bounding box: write its two opposite corners, "
                "'south,west north,east' (lat,lon lat,lon)"
            )
        return value

    def territory(self) -> Territory | None:
        from broadcast.input.area_target import Territory, parse_points

        if self.polygon:
            return Territory(parse_points(self.polygon), box=False)
        if self.bbox:
            return Territory(parse_points(self.bbox), box=True)
        return None
