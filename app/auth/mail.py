"""Texts of the emails the auth domain sends, in the recipient's language."""

from __future__ import annotations

from app.auth.models import User
from app.core.i18n import gettext as _
from app.core.i18n import in_language


def reset_message(*, user: User, link: str, minutes: int, portal: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("Reset your password for %(portal)s") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "Someone asked to reset the password of your account. To choose a new password, open this link "
            "within %(minutes)s minutes:\n\n%(link)s\n\n"
            "If you did not ask for this, ignore this message: your password stays as it is."
        ) % {"name": user.display_name, "minutes": minutes, "link": link}
    return subject, body


def welcome_message(*, user: User, link: str, hours: int, portal: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("Your account on %(portal)s") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "An account has been opened for you on %(portal)s. To sign in for the first time and choose your "
            "password, open this link within %(hours)s hours:\n\n%(link)s\n\n"
            'The link works once. If it has expired, ask for a new one with "Forgot your password?" on the '
            "sign-in page."
        ) % {"name": user.display_name, "portal": portal, "hours": hours, "link": link}
    return subject, body


def invitation_message(*, user: User, link: str, hours: int, portal: str, state: str, sso: bool) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("You are invited as a focal point of %(state)s on %(portal)s") % {"state": state, "portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "You are invited to act as a focal point of %(state)s on %(portal)s. To accept, open this link "
            "within %(hours)s hours and choose your password:\n\n%(link)s\n\n"
            "The link works once."
        ) % {"name": user.display_name, "state": state, "portal": portal, "hours": hours, "link": link}
        if sso:
            body += "\n\n" + _(
                "You may also sign in with your organisation's single sign-on, using this email address."
            )
    return subject, body


def factor_added_message(*, user: User, portal: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("A second factor was added to your account on %(portal)s") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "An authenticator app was set up as the second factor of your account on %(portal)s, and ten recovery "
            "codes were made.\n\n"
            "If you did not do this, change your password and tell an admin at once."
        ) % {"name": user.display_name, "portal": portal}
    return subject, body


def factor_removed_message(*, user: User, portal: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("The second factor of your account on %(portal)s was removed") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "You removed the authenticator app and the recovery codes of your account on %(portal)s; signing in "
            "now takes your password alone.\n\n"
            "If you did not do this, change your password and tell an admin at once."
        ) % {"name": user.display_name, "portal": portal}
    return subject, body


def factor_reset_message(*, user: User, portal: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("An admin reset the second factor of your account on %(portal)s") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "An admin removed the second factor of your account on %(portal)s (authenticator app, recovery codes "
            "and passkeys), and signed you out everywhere. When you next sign in, you may be asked to set up a new "
            "one.\n\n"
            "If you did not ask for this, tell an admin at once."
        ) % {"name": user.display_name, "portal": portal}
    return subject, body


def recovery_code_used_message(*, user: User, portal: str, remaining: int) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("A recovery code was used to sign in to %(portal)s") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "A recovery code of your account was just used to sign in to %(portal)s. %(remaining)s unused codes "
            "remain.\n\n"
            "If this was not you, change your password and tell an admin at once."
        ) % {"name": user.display_name, "portal": portal, "remaining": remaining}
    return subject, body


def factor_failures_message(*, user: User, portal: str, count: int) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("Wrong second-factor codes on your account on %(portal)s") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "Your password was typed correctly on %(portal)s, then %(count)s wrong second-factor codes. Signing in "
            "is paused for a while.\n\n"
            "If this was not you, someone knows your password: change it and tell an admin at once."
        ) % {"name": user.display_name, "portal": portal, "count": count}
    return subject, body


def recovery_codes_renewed_message(*, user: User, portal: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("New recovery codes for your account on %(portal)s") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "Ten new recovery codes were made for your account on %(portal)s; the earlier ones no longer work.\n\n"
            "If you did not do this, change your password and tell an admin at once."
        ) % {"name": user.display_name, "portal": portal}
    return subject, body


def passkey_added_message(*, user: User, portal: str, name: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("A passkey was added to your account on %(portal)s") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "A passkey named “%(passkey)s” was added to your account on %(portal)s. It can now be used as the second "
            "factor after your password, or to sign in without a password.\n\n"
            "If you did not do this, change your password and tell an admin at once."
        ) % {"name": user.display_name, "portal": portal, "passkey": name}
    return subject, body


def passkey_removed_message(*, user: User, portal: str, name: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("A passkey was removed from your account on %(portal)s") % {"portal": portal}
        body = _(
            "Hello %(name)s,\n\n"
            "The passkey named “%(passkey)s” was removed from your account on %(portal)s and no longer signs you "
            "in.\n\n"
            "If you did not do this, change your password and tell an admin at once."
        ) % {"name": user.display_name, "portal": portal, "passkey": name}
    return subject, body
