"""A favicon and app icons on every page (a tab, a home-screen shortcut), all same-origin static files
that the Content-Security-Policy allows (the browser tests fail on anything it blocks)."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from PIL import Image

pytestmark = pytest.mark.django_db


def test_every_page_links_its_icons_and_manifest(client):
    html = client.get("/").content.decode()
    links = dict(
        re.findall(r'<link rel="(icon|apple-touch-icon|manifest)" href="/static/([^"]+)"', html)
    )
    assert set(links) == {"icon", "apple-touch-icon", "manifest"}
    for path in re.findall(
        r'<link rel="(?:icon|apple-touch-icon|manifest)" href="/static/([^"]+)"', html
    ):
        assert finders.find(path), path
    with Image.open(finders.find("icons/apple-touch-icon.png")) as touch:
        assert touch.size == (180, 180)


def test_the_manifest_names_the_portal_and_its_icons_exist():
    with open(finders.find("icons/site.webmanifest"), encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["short_name"] == "お互いさま" and manifest["lang"] == "ja"
    for icon in manifest["icons"]:
        assert finders.find(f"icons/{icon['src']}"), icon
        if icon["sizes"] != "any":
            with Image.open(finders.find(f"icons/{icon['src']}")) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
