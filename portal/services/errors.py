"""Domain errors raised by the application, attendance and session-change services. Each carries a
message for people (Japanese, through gettext) that views show as is; `code` is for tests and logs."""

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    code = "error"
    default_message = _("処理できませんでした。")

    def __init__(self, message=None, *, code: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(str(self.message))


class NotEligible(ServiceError):
    """The helper may not apply; `problems` lists every reason at once, so the page can explain all."""

    code = "not_eligible"

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(
            " ".join(str(p.message) for p in self.problems), code=self.problems[0].code
        )


class SessionFull(ServiceError):
    code = "full"
    default_message = _("定員に達しているため、参加確定にできません。")


class Overlap(ServiceError):
    code = "overlap"
    default_message = _("同じ時間帯に参加が確定している別の日程があります。")


class InvalidTransition(ServiceError):
    """The row was not in a state this change starts from (or another request changed it first)."""

    code = "invalid_transition"
    default_message = _("この応募の状態は変更されています。画面を読み込み直してください。")


class NotAllowed(ServiceError):
    """The actor may not make this change (portal.permissions decides)."""

    code = "not_allowed"
    default_message = _("この操作はできません。")


class TooLate(ServiceError):
    code = "too_late"
    default_message = _("受付期間を過ぎています。")


class AttendanceFinal(ServiceError):
    code = "attendance_final"
    default_message = _("この開催日は終了し、出欠は確定済みのため変更できません。")


class UnknownCode(ServiceError):
    code = "unknown_code"
    default_message = _("この開催日の受付コードではありません。コードを確かめてください。")


class AlreadySubmitted(ServiceError):
    """The form was sent before (its one-time token is claimed): `object_id` is what that created."""

    code = "already_submitted"
    default_message = _("この内容はすでに受け付けています。")

    def __init__(self, object_id: int | None):
        self.object_id = object_id
        super().__init__()
