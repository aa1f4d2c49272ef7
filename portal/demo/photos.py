"""Demo photos: one illustration per category, drawn with Pillow at seed time (offline, no download, no
licence to track: the demo made them itself), each written once with its card-sized thumbnail and then
shared by every demo program and activity report of that category. 10,000 programs of the large scale
point at the same 16 files, so the bench data stays small on disk and fast to seed.

Credit: 「イラスト: お互いさまのデモ用に自動生成」(CREDIT), shown under every demo picture (the pages ask
`is_demo_photo`).
"""

import io
import math
import random
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw

from accounts.categories import Category
from accounts.images import THUMB_SIDE

FOLDER = "demo"
SIZE = (1200, 800)
CREDIT = _("イラスト: お互いさまのデモ用に自動生成")


@dataclass(frozen=True)
class DemoPhoto:
    image: str  # stored name of the 1200x800 picture
    thumbnail: str  # stored name of its thumbnail
    alt: str  # what it shows, for the alt text of a gallery or report photo


ALT = {
    Category.FARMING: _("畝の並ぶ畑と山のイラスト"),
    Category.CRAFT: _("干された楮の皮と和紙のイラスト"),
    Category.FESTIVAL: _("提灯の下の祭り屋台のイラスト"),
    Category.NATURE: _("杉林と棚田のイラスト"),
    Category.COMMUNITY: _("集落の家並みのイラスト"),
    Category.CARE: _("湯のみとお茶菓子のイラスト"),
    Category.SNOW: _("雪の積もった家とスコップのイラスト"),
    Category.REMOTE: _("ノートパソコンに映る棚田のイラスト"),
}


def is_demo_photo(name: str) -> bool:
    return name.startswith(f"{FOLDER}/")


def demo_photo(category: str) -> DemoPhoto:
    """The category's illustration, drawn and stored on first use (idempotent: an existing file is
    kept, so a second seed writes nothing)."""
    category = category if category in Category.values else Category.COMMUNITY
    image, thumbnail = f"{FOLDER}/{category}.jpg", f"{FOLDER}/{category}-thumb.jpg"
    if not (default_storage.exists(image) and default_storage.exists(thumbnail)):
        picture = _draw(category)
        default_storage.delete(image)
        default_storage.delete(thumbnail)
        default_storage.save(image, ContentFile(_jpeg(picture)))
        picture.thumbnail((THUMB_SIDE, THUMB_SIDE))
        default_storage.save(thumbnail, ContentFile(_jpeg(picture)))
    return DemoPhoto(image, thumbnail, str(ALT[Category(category)]))


def _jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue()


def _draw(category: str) -> Image.Image:
    rng = random.Random(category)  # the same picture on every machine
    w, h = SIZE
    img = Image.new("RGB", SIZE, (205, 228, 240))
    d = ImageDraw.Draw(img)
    sky = (220, 235, 245) if category != Category.SNOW else (200, 210, 222)
    for y in range(0, h // 2, 4):  # a soft sky gradient
        shade = tuple(int(c - y * 0.06) for c in sky)
        d.rectangle([0, y, w, y + 4], fill=shade)
    mountain = (120, 150, 130) if category != Category.SNOW else (235, 240, 245)
    d.polygon([(0, 380), (260, 170), (520, 360), (760, 150), (1060, 380), (w, 300), (w, h), (0, h)],
              fill=mountain)  # fmt: skip
    DRAW[Category(category)](d, rng, w, h)
    return img


def _farming(d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    d.rectangle([0, 420, w, h], fill=(122, 92, 60))
    for i in range(9):  # ridges converging to the horizon
        x = -400 + i * 250
        d.polygon([(x, h), (x + 120, h), (w // 2 + (i - 4) * 30 + 8, 420), (w // 2 + (i - 4) * 30, 420)],
                  fill=(96, 70, 44))  # fmt: skip
        for k in range(6):
            t = k / 6
            cx = x + 60 + (w // 2 + (i - 4) * 30 - x - 60) * t
            cy = h - (h - 420) * t
            r = 26 * (1 - t) + 4
            d.ellipse([cx - r, cy - r * 1.6, cx + r, cy], fill=(70, 150, 70))
    d.ellipse([980, 60, 1100, 180], fill=(250, 210, 90))


def _craft(d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    d.rectangle([0, 430, w, h], fill=(230, 230, 225))
    d.line([(80, 200), (1120, 200)], fill=(90, 70, 50), width=10)
    for x in range(120, 1100, 38):  # strips of bark hanging to dry
        length = rng.randint(260, 380)
        d.rectangle([x, 205, x + 18, 205 + length], fill=(214, 196, 160), outline=(170, 150, 110))
    for i in range(4):  # sheets of washi
        x = 140 + i * 250
        d.rectangle([x, 600, x + 200, 760], fill=(250, 248, 240), outline=(200, 195, 180), width=3)


def _festival(d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    d.rectangle([0, 560, w, h], fill=(150, 140, 130))
    for x in range(60, w, 140):  # lanterns on a line
        d.line([(x, 60), (x + 140, 80)], fill=(60, 40, 30), width=3)
        d.ellipse([x + 40, 80, x + 90, 150], fill=(230, 80, 60), outline=(120, 30, 20), width=3)
    d.rectangle([400, 300, 800, 560], fill=(150, 40, 40))  # the float
    d.polygon([(360, 300), (600, 190), (840, 300)], fill=(60, 40, 30))
    d.rectangle([440, 340, 760, 470], fill=(220, 170, 60))
    for cx in (470, 730):
        d.ellipse([cx - 70, 500, cx + 70, 640], fill=(70, 50, 40), outline=(30, 20, 10), width=8)


def _nature(d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    for i in range(5):  # terraced rice fields
        y = 520 + i * 60
        d.rectangle([0, y, w, y + 60], fill=(90 + i * 12, 160 + i * 8, 80))
        d.line([(0, y), (w, y)], fill=(120, 110, 90), width=5)
    for _n in range(22):  # cedar trees
        x, y = rng.randint(0, w), rng.randint(300, 470)
        d.polygon([(x, y - 150), (x - 45, y), (x + 45, y)], fill=(40, 100, 60))
        d.rectangle([x - 6, y, x + 6, y + 30], fill=(90, 60, 40))


def _houses(d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int, snow: bool) -> None:
    d.rectangle([0, 500, w, h], fill=(245, 248, 250) if snow else (150, 170, 110))
    for i in range(4):
        x = 80 + i * 280
        d.rectangle([x, 420, x + 200, 620], fill=(160, 120, 80), outline=(90, 60, 40), width=4)
        roof = (250, 252, 255) if snow else (80, 70, 60)
        d.polygon([(x - 40, 430), (x + 100, 300), (x + 240, 430)], fill=roof)
        d.rectangle([x + 80, 520, x + 120, 620], fill=(70, 50, 35))
    if snow:
        for _n in range(160):
            x, y, r = rng.randint(0, w), rng.randint(0, h), rng.randint(3, 8)
            d.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 255))
        d.line([(1040, 760), (1120, 560)], fill=(90, 60, 40), width=12)  # a snow shovel
        d.polygon([(1010, 740), (1080, 770), (1060, 800), (990, 790)], fill=(200, 60, 50))


def _community(d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    _houses(d, rng, w, h, snow=False)


def _snow(d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    _houses(d, rng, w, h, snow=True)


def _care(d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    d.rectangle([0, 430, w, h], fill=(170, 120, 80))  # a low table
    for cx in (380, 720):  # tea cups with steam
        d.rectangle(
            [cx - 80, 470, cx + 80, 640], fill=(95, 130, 110), outline=(50, 70, 60), width=5
        )
        for k in range(3):
            x0 = cx - 40 + k * 40
            points = [(x0 + 12 * math.sin(t / 3), 450 - t * 8) for t in range(18)]
            d.line(points, fill=(250, 250, 250), width=5)
    d.ellipse([520, 660, 620, 740], fill=(240, 200, 120))  # a sweet
    d.ellipse([880, 640, 1060, 780], fill=(250, 245, 235), outline=(200, 190, 170), width=4)


def _remote(d: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    d.rectangle([0, 450, w, h], fill=(200, 180, 150))
    d.rectangle([320, 180, 880, 560], fill=(40, 40, 45))  # the laptop's screen
    d.rectangle([345, 205, 855, 535], fill=(170, 210, 235))
    for i in range(4):  # terraces on screen
        y = 380 + i * 38
        d.rectangle([345, y, 855, y + 38], fill=(100 + i * 15, 170, 90))
    d.polygon([(260, 560), (940, 560), (1010, 640), (190, 640)], fill=(90, 90, 95))


DRAW = {
    Category.FARMING: _farming,
    Category.CRAFT: _craft,
    Category.FESTIVAL: _festival,
    Category.NATURE: _nature,
    Category.COMMUNITY: _community,
    Category.CARE: _care,
    Category.SNOW: _snow,
    Category.REMOTE: _remote,
}
