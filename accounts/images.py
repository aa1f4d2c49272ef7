"""Uploaded images: checked, resized and stripped of metadata before anyone can see them.

Shared by every form that takes a photo (profiles, needs, programs, reports); it lives in accounts because
that is the bottom of the app dependency graph. The file is decoded by Pillow (the name and the browser's
content type are not trusted), re-encoded from pixels only, so EXIF (GPS location, camera serial) and any
trailing payload are gone.
"""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
MAX_SIDE = 1600
THUMB_SIDE = 480
# Refuse decompression bombs well below Pillow's own (warning-only) default.
MAX_PIXELS = 40_000_000


INVALID_IMAGE_MESSAGE = gettext_lazy(
    "画像ファイルとして読み込めませんでした。JPEG・PNG・WebPの写真を選んでください。"
)
# For a form's ImageField, so Django's own first check says the same as ours:
# error_messages={"invalid_image": INVALID_IMAGE_MESSAGE}
IMAGE_ERROR_MESSAGES = {"invalid_image": INVALID_IMAGE_MESSAGE}


def process_upload(upload) -> ContentFile:
    """Return a clean JPEG/PNG ContentFile for an uploaded file, or raise ValidationError (Japanese)."""
    limit = settings.IMAGE_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("写真のファイルが大きすぎます（%(max)d MBまで）。") % {"max": limit // (1024 * 1024)},
            code="image_too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()  # detects truncated or corrupt files without decoding all pixels
        if fmt not in ALLOWED_FORMATS:
            raise UnidentifiedImageError(fmt)
        if width * height > MAX_PIXELS:
            raise ValidationError(_("写真の画素数が大きすぎます。"), code="image_too_many_pixels")
        upload.seek(0)
        with Image.open(upload) as opened:
            # keep the orientation the camera meant, then drop EXIF
            img = ImageOps.exif_transpose(opened)
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            data, ext = _encode(img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(INVALID_IMAGE_MESSAGE, code="image_invalid") from None
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{ext}")


def _encode(img: Image.Image) -> tuple[bytes, str]:
    """Pixels only, as PNG when there is transparency, else JPEG: no metadata survives."""
    has_alpha = img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info)
    out = io.BytesIO()
    if has_alpha:
        img.convert("RGBA").save(out, format="PNG", optimize=True)
        return out.getvalue(), "png"
    img.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue(), "jpg"


def thumbnail_of(image) -> ContentFile:
    """A card-sized copy (THUMB_SIDE px on the long side) of an image that process_upload returned, for
    lists and galleries, where a phone would otherwise load the 1600 px original for a 160 px tile."""
    image.seek(0)
    with Image.open(image) as img:
        img.thumbnail((THUMB_SIDE, THUMB_SIDE))
        data, ext = _encode(img)
    image.seek(0)
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{ext}")
