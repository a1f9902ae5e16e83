from tsunagu.accounts.access import member_facility


def membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"my_facility": member_facility(user)}
