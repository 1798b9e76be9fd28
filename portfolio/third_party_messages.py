"""Strings of the admin's third-party apps that ship no Korean catalogue, so that ours carries them.

django-axes (the login lockout tables) and django-admin-sortable2 (drag-and-drop ordering)
have no `ko` translation; Django looks a msgid up in every catalogue, ours (LOCALE_PATHS)
first, so listing their strings here lets `make makemessages` collect them and a Korean
owner sees a Korean admin throughout. Never imported: makemessages only reads it.
"""

from django.utils.translation import gettext_noop

AXES = [
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop("Account locked: too many login attempts. Contact an admin to unlock your account."),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Logout Time"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]

ADMIN_SORTABLE2 = [
    gettext_noop("Sort"),
    gettext_noop("Move selected to specific page"),
    gettext_noop("Move selected ... pages back"),
    gettext_noop("Move selected ... pages forward"),
    gettext_noop("Move selected to first page"),
    gettext_noop("Move selected to last page"),
    gettext_noop("Move to first position"),
    gettext_noop("Move to last position"),
]
