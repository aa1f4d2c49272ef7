"""Estimated one-way travel time from a helper's home to a venue, from data shipped with the project.

A helper's home is known to the prefecture (the profile's home_prefecture; the municipality is free text
we do not geocode), so it is placed at its prefectural office: data/prefecture_offices.csv, from the
Geospatial Information Authority of Japan (国土地理院), source named in the file. A venue is the program's
meeting point, else its municipality's map centre, else its prefecture's office.

The straight-line distance becomes a time with a speed model of how people actually travel to a
rural program, door to door (a 1.3 detour factor on the straight line, then one of three modes):
- up to 150 km by road: 15 minutes to get going, then 50 km/h (local roads and mountain passes);
- up to 700 km by rail: 45 minutes to and from stations, then 150 km/h (shinkansen plus a local line);
- beyond, by air: 120 minutes of airports and transfers, then 500 km/h.
The modes meet roughly where people switch between them. Unknown places give NaN: the travel term then
neither rewards nor penalises (an estimate from nothing would be noise).
"""

import csv
from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "prefecture_offices.csv"
EARTH_RADIUS_KM = 6371.0
DETOUR = 1.3


@cache
def prefecture_offices() -> dict[str, tuple[float, float]]:
    with DATA.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {r["prefecture"]: (float(r["latitude"]), float(r["longitude"])) for r in rows}


def home_point(prefecture: str) -> tuple[float, float]:
    """Where a helper living in `prefecture` starts from; (nan, nan) when unknown."""
    return prefecture_offices().get(prefecture, (float("nan"), float("nan")))


def distance_km(lat1, lon1, lat2, lon2):
    """Great-circle distance (haversine); works on floats and NumPy arrays alike."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def minutes_for_km(km):
    """Door-to-door minutes for a straight-line distance (the speed model above)."""
    road = np.asarray(km, dtype=float) * DETOUR
    return np.where(
        road <= 150,
        15 + road / 50 * 60,
        np.where(road <= 700, 45 + road / 150 * 60, 120 + road / 500 * 60),
    )


def travel_minutes(home: tuple[float, float], lat, lon):
    """Minutes from `home` to each venue (arrays or floats); NaN where either place is unknown."""
    return minutes_for_km(distance_km(home[0], home[1], lat, lon))
