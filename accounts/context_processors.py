from accounts.permissions import is_staff_member, organization_ids


def roles(request):
    user = request.user
    if not user.is_authenticated:
        return {"is_staff_member": False, "is_nushi": False, "sign_in_next": _sign_in_next(request)}
    return {
        "is_staff_member": is_staff_member(user),
        "is_nushi": bool(organization_ids(user)),
    }


def _sign_in_next(request) -> str:
    """Where the header's ログイン and 新規登録 bring a visitor back to: the page they were reading
    (a program they want to join), not the home page or an account page itself."""
    if request.method != "GET" or request.path == "/" or request.path.startswith("/accounts/"):
        return ""
    return request.get_full_path()
