"""Maps with no map server of our own: the meeting point drawn on 地理院タイル (GSI tiles) as an inline
SVG, which works without JavaScript; static/portal/map.js turns it into a Leaflet map where JavaScript
runs, and gives staff a map to place the point on. Plus links that open the point in a map app."""

import math
from dataclasses import dataclass

from django.conf import settings

TILE = 256
# Zoom 16 shows a few streets around the point: enough to find a community hall on foot.
ZOOM = 16
WIDTH, HEIGHT = 320, 200


def world_pixel(lat: float, lng: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates of a point at a zoom level (the tiles' own projection)."""
    size = TILE * 2**zoom
    x = (lng + 180.0) / 360.0 * size
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * size
    return x, y


@dataclass(frozen=True, slots=True)
class StaticMap:
    """A WIDTH x HEIGHT window centred on the point, in pixels relative to its top-left tile (small
    numbers: SVG renderers lose precision at the world's 16 million pixels)."""

    view_box: str
    tiles: list[tuple[str, int, int]]  # (url, x, y) of each tile in the window
    marker: str  # an SVG transform that puts the marker on the point


def static_map(lat: float, lng: float, zoom: int = ZOOM) -> StaticMap:
    px, py = world_pixel(lat, lng, zoom)
    left, top = px - WIDTH / 2, py - HEIGHT / 2
    first_x, first_y = math.floor(left / TILE), math.floor(top / TILE)
    last_x, last_y = math.floor((left + WIDTH) / TILE), math.floor((top + HEIGHT) / TILE)
    origin_x, origin_y = first_x * TILE, first_y * TILE
    tiles = [
        (
            settings.MAP_TILE_URL.format(z=zoom, x=tx, y=ty),
            tx * TILE - origin_x,
            ty * TILE - origin_y,
        )
        for ty in range(first_y, last_y + 1)
        for tx in range(first_x, last_x + 1)
    ]
    return StaticMap(
        view_box=f"{left - origin_x:.1f} {top - origin_y:.1f} {WIDTH} {HEIGHT}",
        tiles=tiles,
        marker=f"translate({px - origin_x:.1f} {py - origin_y:.1f})",
    )


def map_context(program) -> dict:
    """The place section of a program page: a map when the point is known; nothing otherwise, nor for
    online programs. Never from `meeting_address`: that is the exact (often a resident's) address, which
    only people allowed to see the nushi's contact may read (can_see_nushi_contact)."""
    if program.is_online:
        return {}
    if program.latitude is not None and program.longitude is not None:
        lat, lng = float(program.latitude), float(program.longitude)
        return {
            "static_map": static_map(lat, lng),
            "map_point": {"lat": f"{lat:.6f}", "lng": f"{lng:.6f}", "zoom": ZOOM},
            "map_app_url": f"https://www.google.com/maps/search/?api=1&query={lat:.6f},{lng:.6f}",
            "gsi_url": f"https://maps.gsi.go.jp/#{ZOOM}/{lat:.6f}/{lng:.6f}/",
        }
    return {}


def picker_centre(program, municipality) -> dict:
    """Where staff's map opens: the program's point, else the municipality's map centre, else all of
    Japan (zoomed out)."""
    for place, zoom in ((program, ZOOM), (municipality, 14)):
        if place is not None and place.latitude is not None and place.longitude is not None:
            return {"lat": f"{place.latitude:.6f}", "lng": f"{place.longitude:.6f}", "zoom": zoom}
    return {"lat": "36.2", "lng": "138.25", "zoom": 5}
