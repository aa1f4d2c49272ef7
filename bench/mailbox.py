"""The bench's email backend: Django's locmem backend (each message built and checked as for sending,
then kept in memory), which also writes each message's Message-ID to a file of the process when
BENCH_MAIL_LOG names a folder. The worker's processes cannot hand back their in-memory outbox; the
files let reminder_fanout count what was really sent, and find any message sent twice."""

import os
from typing import TextIO

from django.core.mail.backends import locmem

_files: dict[tuple[str, int], TextIO] = {}


def _log_file() -> TextIO | None:
    folder = os.environ.get("BENCH_MAIL_LOG")
    if not folder:
        return None
    key = (folder, os.getpid())  # a forked worker child opens its own file
    if key not in _files:
        # Kept open, line-buffered: the bench reads it while the worker still runs.
        _files[key] = open(os.path.join(folder, f"{key[1]}.log"), "a", buffering=1)  # noqa: SIM115
    return _files[key]


class CountingBackend(locmem.EmailBackend):
    def send_messages(self, messages):
        count = super().send_messages(messages)
        log = _log_file()
        if log is not None:
            for message in messages:
                log.write(f"{message.extra_headers.get('Message-ID', '')}\n")
        return count


def logged_message_ids(folder: str) -> list[str]:
    ids: list[str] = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as f:
            ids.extend(line.strip() for line in f if line.strip())
    return ids
