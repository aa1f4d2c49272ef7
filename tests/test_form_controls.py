"""How the form renderer (templates/forms/field.html, the photo widget) lays out controls that a
walk of every page on a phone found hard to use: a lone checkbox under its label, a photo field that
showed a file name instead of the photo."""

import re

import pytest

from portal.forms.applications import ImpressionForm
from portal.forms.programs import ProgramForm
from tests.portal.factories import ProgramFactory
from tests.portal.images import jpeg_with_gps

pytestmark = pytest.mark.django_db


def test_a_single_checkbox_has_its_words_beside_it_in_one_label():
    html = str(ImpressionForm())
    label = re.search(r'<label for="id_may_publish"[^>]*>(.*?)</label>', html, re.S)
    assert label, html
    # The box inside its label, then the words: one 44 px line to tap.
    assert re.match(r'\s*<input type="checkbox" name="may_publish"', label.group(1))
    assert "活動レポートに載せてもよい" in label.group(1)
    assert "min-h-11" in label.group(0)
    assert html.count('for="id_may_publish"') == 1


def test_the_program_form_shows_the_cover_it_holds(municipality, organization):
    program = ProgramFactory(municipality=municipality, nushi=organization)
    program.cover_image.save("cover.jpg", jpeg_with_gps("cover.jpg", size=(60, 40)))
    html = str(ProgramForm(instance=program, municipality_id=municipality.pk)["cover_image"])
    assert f'<img src="{program.cover_image.url}" alt="今の写真"' in html
    assert 'accept="image/*"' in html
    assert "この写真を外す" in html
