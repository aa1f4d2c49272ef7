from accounts.permissions import is_staff_member, organization_ids


def roles(request):
    user = request.user
    if not user.is_authenticated:
        return {"is_staff_member": False, "is_nushi": False}
    return {
        "is_staff_member": is_staff_member(user),
        "is_nushi": bool(organization_ids(user)),
    }
