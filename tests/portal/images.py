"""Uploads for tests: a real JPEG carrying GPS EXIF, a text file pretending to be a photo, a big one."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def jpeg_with_gps(name: str = "field.jpg", size=(2400, 1800)) -> SimpleUploadedFile:
    img = Image.new("RGB", size, (90, 140, 60))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (36.0, 14.0, 17.0)  # GPSLatitudeRef, GPSLatitude
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def fake_image() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "photo.jpg", b"#!/bin/sh\necho not a photo\n", content_type="image/jpeg"
    )


def oversized_image(limit: int) -> SimpleUploadedFile:
    upload = jpeg_with_gps("big.jpg", size=(64, 64))
    upload.file.seek(0, io.SEEK_END)
    upload.file.write(b"\0" * (limit + 1))
    upload.file.seek(0)
    upload.size = limit + 100
    return upload


def has_exif(path) -> bool:
    with Image.open(path) as img:
        return bool(img.getexif()) or "exif" in img.info
