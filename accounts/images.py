"""Uploaded images: checked, resized and stripped of metadata before anyone can see them.

Shared by every form that takes a photo (profiles, needs, programs, reports); it lives in accounts because
that is the bottom of the app dependency graph. The file is decoded by Pillow (the name and the browser's
content type are not trusted), re-encoded from pixels only, so EXIF (GPS location, camera serial) and any
trailing payload are gone.
"""

import io
import uuid
from types import TracebackType

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models
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


class StoredFiles:
    """Files written to storage *before* the database transaction that refers to them, and removed
    again if that transaction fails.

    A file saved through a model field is written at `save()`, inside the transaction; a rollback then
    leaves it in MEDIA_ROOT with no row pointing at it (transaction.on_commit only runs on success).
    So the services write the files first, then open a durable transaction (the outermost one: leaving
    it with an exception means it rolled back), inside this block:

        with StoredFiles() as stored:
            name = stored.save(ProgramPhoto, "image", content)
            with transaction.atomic(durable=True):
                ProgramPhoto.objects.create(image=name, ...)

    Any exception leaving the block deletes every file it wrote, then propagates.
    """

    def __init__(self) -> None:
        self.written: list[tuple[Storage, str]] = []

    def save(self, model, field_name: str, content) -> str:
        """Write `content` where `model.field_name` would put it; return the stored name for the row."""
        field = model._meta.get_field(field_name)
        name = field.storage.save(
            field.generate_filename(None, content.name), content, max_length=field.max_length
        )
        self.written.append((field.storage, name))
        return name

    def save_uploads(self, model, data: dict) -> dict:
        """`data` (a form's cleaned_data) with every new file of a file field of `model` written and
        replaced by its stored name; other values (a kept file, False for "clear") as they were."""
        out = dict(data)
        for key, value in data.items():
            try:
                field = model._meta.get_field(key)
            except FieldDoesNotExist:  # not a model field (the form's own extras)
                continue
            if isinstance(field, models.FileField) and isinstance(value, ContentFile):
                out[key] = self.save(model, key, value)
        return out

    def __enter__(self) -> "StoredFiles":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            for storage, name in self.written:
                storage.delete(name)
