"""Sign-in, sign-out, CSRF, password reset, one-time links, the account page and admin of accounts."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.auth import service
from app.auth.deps import SESSION_COOKIE
from app.auth.models import User
from app.outbox.models import OutboxMessage
from tests.factories import PASSWORD, csrf_token, make_user, page_csrf, sign_in, soup


def submit_sign_in(client, email: str, password: str, next: str = "/", **headers: str):  # type: ignore[no-untyped-def]
    token = page_csrf(client, "/auth/sign-in")
    return client.post(
        "/auth/sign-in", data={"email": email, "password": password, "next": next, "csrf_token": token}, headers=headers
    )


def error_text(response) -> str:  # type: ignore[no-untyped-def]
    found = soup(response.text).find(class_="error")
    assert found is not None, "no error message on the page"
    return found.get_text(" ", strip=True)


def test_sign_in_sets_a_safe_cookie_and_opens_the_account(client, session) -> None:
    user = make_user(session)
    response = submit_sign_in(client, user.email, PASSWORD, next="/account")
    assert response.status_code == 303 and response.headers["location"] == "/welcome?next=%2Faccount"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http base URL in tests
    page = soup(client.get("/account").text)
    assert user.email in page.find("dl").get_text()


def test_wrong_password_shows_a_clear_message_and_signs_nobody_in(client, session) -> None:
    user = make_user(session)
    response = submit_sign_in(client, user.email, "not the password")
    assert response.status_code == 400
    assert "The email address or the password is not correct." in error_text(response)
    assert soup(response.text).find("input", attrs={"name": "email"})["value"] == user.email
    assert client.get("/account").status_code == 303


def test_wrong_password_message_in_french(client, session) -> None:
    user = make_user(session)
    client.cookies.set("prcn_lang", "fr")
    response = submit_sign_in(client, user.email, "pas le bon mot de passe")
    assert "L’adresse électronique ou le mot de passe est incorrect." in error_text(response)


def test_too_many_attempts_are_refused_with_the_wait(client, session) -> None:
    user = make_user(session)
    for _ in range(5):
        submit_sign_in(client, user.email, "not the password")
    response = submit_sign_in(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in error_text(response)


def test_next_cannot_send_the_user_to_another_site(client, session) -> None:
    user = make_user(session)
    response = submit_sign_in(client, user.email, PASSWORD, next="//evil.example/steal")
    assert response.headers["location"] == "/welcome?next=%2Fdashboard"


def test_protected_page_sends_anonymous_visitors_to_sign_in_and_back(client, session) -> None:
    response = client.get("/account?notice=x")
    assert response.headers["location"] == "/auth/sign-in?next=/account%3Fnotice%3Dx"
    form = soup(client.get(response.headers["location"]).text).find("form", action="/auth/sign-in")
    next_field = form.find("input", attrs={"name": "next"})
    assert next_field["value"] == "/account?notice=x"


def test_sign_out_ends_the_session_on_the_server(client, session) -> None:
    user = make_user(session)
    submit_sign_in(client, user.email, PASSWORD)
    old_cookie = client.cookies.get(SESSION_COOKIE)
    response = client.post("/auth/sign-out", data={"csrf_token": page_csrf(client, "/account")})
    assert response.status_code == 303
    client.cookies.set(SESSION_COOKIE, old_cookie)
    assert client.get("/account").status_code == 303


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, session) -> None:
    user = make_user(session)
    sign_in(client, session, user)
    response = client.post("/account/preferences", data={"language": "fr", "time_zone": "Pacific/Apia"})
    assert response.status_code == 403
    assert "did not come from this portal" in error_text(response)
    session.refresh(user)
    assert (user.language, user.time_zone) == ("en", "Pacific/Fiji")  # a Fijian focal point's zone from the start


def test_csrf_token_of_another_visitor_is_refused(client, session, app) -> None:
    from fastapi.testclient import TestClient

    user = make_user(session)
    sign_in(client, session, user)
    with TestClient(app, base_url="http://testserver") as other:
        stranger_token = page_csrf(other)
    response = client.post(
        "/account/preferences", data={"language": "fr", "time_zone": "UTC", "csrf_token": stranger_token}
    )
    assert response.status_code == 403


def test_htmx_requests_send_the_token_in_a_header(client, session) -> None:
    user = make_user(session)
    sign_in(client, session, user)
    page = soup(client.get("/account").text)
    header_json = page.body["data-hx-headers-inherited"]
    token = csrf_token(str(page))
    assert token in header_json
    refused = client.post(
        "/account/preferences", data={"language": "fr", "time_zone": "UTC"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 403
    assert soup(refused.text).find(id="error") is not None and soup(refused.text).find("header") is None
    accepted = client.post(
        "/account/preferences",
        data={"language": "fr", "time_zone": "Pacific/Apia"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert accepted.status_code == 303
    session.refresh(user)
    assert (user.language, user.time_zone) == ("fr", "Pacific/Apia")


def test_language_switch_works_signed_out_and_is_kept_for_the_account(client, session) -> None:
    response = client.post(
        "/language", data={"language": "fr", "next": "/auth/sign-in", "csrf_token": page_csrf(client)}
    )
    assert response.headers["location"] == "/auth/sign-in"
    assert soup(client.get("/auth/sign-in").text).h1.get_text() == "Se connecter"
    user = make_user(session)
    sign_in(client, session, user)
    client.post("/language", data={"language": "fr", "csrf_token": page_csrf(client)})
    session.refresh(user)
    assert user.language == "fr"


def test_password_reset_by_email_link(client, session) -> None:
    user = make_user(session)
    response = client.post("/auth/reset", data={"email": user.email, "csrf_token": page_csrf(client, "/auth/reset")})
    assert response.status_code == 200 and "a link to reset its password is on its way" in response.text
    message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).one()
    link = message.body.split("http://testserver")[1].split()[0]

    form = client.get(link)
    assert form.status_code == 200 and user.email in form.text
    mismatch = client.post(
        link, data={"password": "new lagoon passphrase", "confirm": "other", "csrf_token": csrf_token(form.text)}
    )
    assert mismatch.status_code == 400 and "not the same" in error_text(mismatch)
    done = client.post(
        link,
        data={
            "password": "new lagoon passphrase",
            "confirm": "new lagoon passphrase",
            "csrf_token": csrf_token(form.text),
        },
    )
    assert done.headers["location"] == "/auth/sign-in?notice=password-changed"
    assert submit_sign_in(client, user.email, "new lagoon passphrase").status_code == 303
    reused = client.get(link)
    assert reused.status_code == 400 and "used already" in error_text(reused)


def test_reset_for_unknown_address_looks_the_same(client, session) -> None:
    response = client.post(
        "/auth/reset", data={"email": "ghost@example.org", "csrf_token": page_csrf(client, "/auth/reset")}
    )
    assert response.status_code == 200 and "a link to reset its password is on its way" in response.text
    assert session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "ghost@example.org")).first() is None


def test_unknown_reset_link_is_refused(client) -> None:
    response = client.get("/auth/reset/made-up-token")
    assert response.status_code == 400 and "This link is not valid" in error_text(response)


def test_one_time_link_signs_in_once_and_asks_for_a_password(client, session) -> None:
    from app.core.config import get_settings

    user = make_user(session, password=None)
    link = service.sign_in_link(session, get_settings(), user=user).removeprefix("http://testserver")
    confirm = client.get(link)
    assert confirm.status_code == 200 and client.get("/account").status_code == 303
    response = client.post(link, data={"csrf_token": csrf_token(confirm.text)})
    assert response.headers["location"] == "/welcome?next=%2Faccount%3Fnotice%3Dset-password"
    account = soup(client.get("/account?notice=set-password").text)
    assert account.find(attrs={"name": "current"}) is None
    assert "Choose a password now" in account.find(class_="notice").get_text()
    assert client.post(link, data={"csrf_token": page_csrf(client)}).status_code == 400


def test_account_preferences_refuse_an_unknown_zone(client, session) -> None:
    user = make_user(session)
    sign_in(client, session, user)
    response = client.post(
        "/account/preferences",
        data={"language": "en", "time_zone": "Pacific/Atlantis", "csrf_token": page_csrf(client, "/account")},
    )
    assert response.status_code == 400 and "time zone" in error_text(response)
    session.refresh(user)
    assert user.time_zone == "Pacific/Fiji"


def test_change_password_checks_the_current_one_and_ends_other_sessions(client, session) -> None:
    user = make_user(session)
    other = service.start_session(session, user=user, address="elsewhere", user_agent="phone")
    sign_in(client, session, user)
    token = page_csrf(client, "/account")
    wrong = client.post(
        "/account/password",
        data={
            "current": "wrong",
            "password": "fresh coconut water",
            "confirm": "fresh coconut water",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400 and "current password is not correct" in error_text(wrong)
    weak = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": "password12345", "confirm": "password12345", "csrf_token": token},
    )
    assert weak.status_code == 400 and "too common" in error_text(weak)
    done = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "fresh coconut water",
            "confirm": "fresh coconut water",
            "csrf_token": token,
        },
    )
    assert done.headers["location"] == "/account?notice=password-saved"
    assert client.get("/account").status_code == 200
    from app.core.config import get_settings

    assert service.load_visitor(session, get_settings(), other).user is None


def test_admin_opens_an_account_and_the_link_goes_to_the_outbox(client, session) -> None:
    admin = make_user(session, role="admin")
    sign_in(client, session, admin)
    fiji = session.exec(select(service.MemberState).where(service.MemberState.code == "FJ")).one()
    response = client.post(
        "/admin/users",
        data={
            "email": "Litia.Naivalu@police.gov.fj",
            "display_name": "Litia Naivalu",
            "role": "focal_point",
            "member_state_id": str(fiji.id),
            "organisation": "",
            "csrf_token": page_csrf(client, "/admin/users"),
        },
    )
    assert response.headers["location"] == "/admin/users?notice=account-created"
    created = service.find_user_by_email(session, "litia.naivalu@police.gov.fj")
    assert created is not None and created.member_state_id == fiji.id and created.password_hash is None
    message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == created.email)).one()
    assert "/auth/link/" in message.body
    listing = soup(client.get("/admin/users").text)
    assert "Litia Naivalu" in listing.find("table").get_text()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "", "display_name": "No Mail"}, "valid email"),
        ({"display_name": "x" * 500}, "name of 1 to 120"),
        ({"role": "focal_point"}, "must belong to a member state"),
        ({"member_state_id": "fiji"}, "must belong to a member state"),
    ],
)
def test_admin_form_errors_are_shown_and_change_nothing(client, session, fields, message) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(session, role="admin")
    sign_in(client, session, admin)
    before = len(session.exec(select(User)).all())
    data = {
        "email": "new.person@example.org",
        "display_name": "New Person",
        "role": "focal_point",
        "member_state_id": "",
        "organisation": "",
        **fields,
    }
    if "role" not in fields and "member_state_id" not in fields:
        data["role"] = "observer"
    response = client.post("/admin/users", data={**data, "csrf_token": page_csrf(client, "/admin/users")})
    assert response.status_code == 400 and message in error_text(response)
    assert len(session.exec(select(User)).all()) == before


def test_duplicate_account_is_refused(client, session) -> None:
    admin = make_user(session, role="admin")
    existing = make_user(session, role="observer")
    sign_in(client, session, admin)
    response = client.post(
        "/admin/users",
        data={
            "email": existing.email.upper(),
            "display_name": "Again",
            "role": "observer",
            "member_state_id": "",
            "organisation": "UN DPO",
            "csrf_token": page_csrf(client, "/admin/users"),
        },
    )
    assert response.status_code == 409 and "exists already" in error_text(response)


def test_admin_ends_sessions_and_deactivates(client, session, app) -> None:
    from fastapi.testclient import TestClient

    admin = make_user(session, role="admin")
    user = make_user(session)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as users_browser:
        sign_in(users_browser, session, user)
        assert users_browser.get("/account").status_code == 200
        sign_in(client, session, admin)
        client.post(f"/admin/users/{user.id}/end-sessions", data={"csrf_token": page_csrf(client, "/admin/users")})
        assert users_browser.get("/account").status_code == 303
        client.post(
            f"/admin/users/{user.id}/active",
            data={"active": "0", "confirmed": "yes", "csrf_token": page_csrf(client, "/admin/users")},
        )
        assert submit_sign_in(users_browser, user.email, PASSWORD).status_code == 400
    response = client.post(
        f"/admin/users/{admin.id}/active", data={"active": "0", "csrf_token": page_csrf(client, "/admin/users")}
    )
    assert response.status_code == 400


def test_unknown_user_id_is_404(client, session) -> None:
    sign_in(client, session, make_user(session, role="admin"))
    response = client.post("/admin/users/987654/end-sessions", data={"csrf_token": page_csrf(client)})
    assert response.status_code == 404 and "No such account" in error_text(response)


def test_accounts_page_query_count_does_not_grow(client, session, engine) -> None:
    from tests.factories import QueryLog

    sign_in(client, session, make_user(session, role="admin"))
    client.get("/admin/users")
    with QueryLog(engine) as few:
        client.get("/admin/users")
    for _ in range(20):
        user = make_user(session, role="observer", password=None)
        service.start_session(session, user=user, address="a", user_agent="t")
    with QueryLog(engine) as many:
        page = soup(client.get("/admin/users").text)
    assert len(many) == len(few), many.statements
    assert len(page.select("tbody tr")) >= 21
