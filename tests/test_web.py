"""Security headers, compression, content-hashed static files, and the error pages."""

from __future__ import annotations

import gzip
import hashlib
import logging
import re

import pytest

from app.core.config import ROOT
from app.core.web import static_manifest
from tests.factories import make_user, sign_in, soup

HTMX_SHA256 = "a0abb04f2f45a1f89d1d4844023245537e5e6014c87b144553e0607b4cc32130"


def test_security_headers_on_every_page(client) -> None:
    for path in ("/", "/auth/sign-in", "/no-such-page"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client) -> None:
    page = soup(client.get("/").text)
    assert all(script.get("src") for script in page.find_all("script"))
    assert not page.find_all("style") and not page.select("[style]")
    assert not [tag for tag in page.find_all(True) if any(a.startswith("on") for a in tag.attrs)]


def test_html_css_and_js_are_compressed(client) -> None:
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    for url in (link["href"] for link in soup(page.text).select("link[rel=stylesheet]")):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        raw = client.get(url, headers={"Accept-Encoding": "identity"}).content
        assert len(gzip.compress(raw)) < len(raw)


def test_static_files_have_hashed_names_and_long_cache(client, session) -> None:
    sign_in(client, session, make_user(session))
    page = soup(client.get("/needs").text)  # a page that updates in place, so it loads htmx too
    urls = [tag.get("href") or tag.get("src") for tag in page.select("link[href^='/static/'], script[src]")]
    assert len(urls) >= 3 and any("/htmx-" in url for url in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        digest = url.rsplit(".", 2)[-2]
        name = next(n for n, hashed in static_manifest().items() if url.endswith(hashed))
        assert hashlib.sha256((ROOT / "static" / name).read_bytes()).hexdigest().startswith(digest)


def test_unhashed_or_stale_static_names_are_not_served(client) -> None:
    assert client.get("/static/css/site.css").status_code == 404
    assert client.get("/static/css/site.0000000000.css").status_code == 404


def test_vendored_htmx_is_the_unmodified_release() -> None:
    path = ROOT / "static" / "js" / "htmx-4.0.1.min.js"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == HTMX_SHA256
    assert (ROOT / "static" / "js" / "htmx-4.0.1.LICENSE").exists()


def test_page_loads_nothing_from_other_hosts(client) -> None:
    page = soup(client.get("/").text)
    for tag in page.find_all(["script", "link", "img"]):
        url = tag.get("src") or tag.get("href") or ""
        assert url.startswith("/"), url


def test_missing_page_is_a_translated_404(client) -> None:
    response = client.get("/nowhere", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert "Cette page n’existe pas." in soup(response.text).find(class_="error").get_text()


def test_htmx_request_gets_a_fragment_not_a_page(client) -> None:
    response = client.get("/nowhere", headers={"HX-Request": "true"})
    fragment = soup(response.text)
    assert fragment.find("html") is None and fragment.find(id="error") is not None


def test_health_check(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_favicon_answers_at_the_address_browsers_ask_and_is_linked_from_every_page(client) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.headers["cache-control"] == "public, max-age=86400"
    assert icon.content.startswith(b"<svg") and len(icon.content) < 2000
    link = soup(client.get("/").text).find("link", rel="icon")
    assert link is not None and link["type"] == "image/svg+xml"
    linked = client.get(link["href"])
    assert linked.status_code == 200 and linked.content == icon.content
    assert "immutable" in linked.headers["cache-control"]


def test_a_page_with_a_live_part_varies_on_htmx_and_restores_history_whole(client, session) -> None:
    from tests.factories import make_user, sign_in

    sign_in(client, session, make_user(session, role="coordinator"))
    part = client.get(
        "/members", params={"subregion": "melanesia"}, headers={"HX-Request": "true", "HX-Request-Type": "partial"}
    )
    assert soup(part.text).find("html") is None and soup(part.text).find("tbody") is not None
    whole = client.get(
        "/members", params={"subregion": "melanesia"}, headers={"HX-Request": "true", "HX-Request-Type": "full"}
    )
    assert soup(whole.text).find("h1") is not None and soup(whole.text).find("nav") is not None
    for response in (part, whole, client.get("/members")):
        assert "HX-Request" in response.headers["vary"]


def test_every_live_part_lets_a_newer_request_replace_an_older_one() -> None:
    """htmx 4 queues the first request made while one is in flight and drops the later ones, so a part of the page
    could stay with an answer to an older state of its form; `hx-sync="this:replace"` aborts the older request."""
    requesting = ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "data-hx-get", "data-hx-post")
    found = 0
    for path in (ROOT / "templates").rglob("*.html"):
        for element in soup(path.read_text(encoding="utf-8")).find_all(True):
            if any(attribute in element.attrs for attribute in requesting):
                found += 1
                sync = element.get("hx-sync") or element.get("data-hx-sync") or ""
                assert sync.endswith(":replace"), (
                    f'{path.name}: <{element.name}> makes htmx requests without hx-sync="this:replace"'
                )
    assert found >= 7


def test_an_unexpected_error_is_the_portals_own_page_with_a_reference_that_is_in_the_log(
    engine, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app()

    @app.get("/fails")
    def fails() -> None:
        raise RuntimeError("a fault nobody expected")

    with caplog.at_level(logging.ERROR, logger="app.core.errors"), TestClient(app) as browser:
        response = browser.get("/fails", headers={"Accept-Language": "fr"})
    assert response.status_code == 500
    page = soup(response.text)
    assert page.find("h1").get_text() == "Une erreur s’est produite"
    assert page.find("nav") is not None, "the error page is a portal page, with its navigation"
    reference = re.search(r"[0-9A-F]{8}", page.find(id="error").get_text())
    assert reference, page.find(id="error").get_text()
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"
    logged = [r for r in caplog.records if reference.group(0) in r.getMessage()]
    assert logged and "a fault nobody expected" in (logged[0].exc_text or ""), (
        "the reference is logged with the traceback"
    )


def test_a_missing_page_still_shows_who_is_signed_in_in_their_language(client, session) -> None:
    from tests.factories import make_user, sign_in

    sign_in(client, session, make_user(session, role="focal_point", language="fr"))
    page = soup(client.get("/nowhere").text)
    assert "Cette page n’existe pas." in page.find(class_="error").get_text()
    assert page.find("form", action="/auth/sign-out") is not None
    assert page.find("a", href=re.compile("^/auth/sign-in")) is None


def test_expected_refusals_say_what_they_are_not_that_something_went_wrong(client, session) -> None:
    from tests.factories import make_user, sign_in

    refusals = {
        "/nowhere": (404, "Not found"),
        "/auth/link/not-a-real-token": (None, None),
        "/admin": (403, "Not allowed"),
    }
    sign_in(client, session, make_user(session, role="observer"))
    for path, (status, heading) in refusals.items():
        response = client.get(path)
        title = soup(response.text).find("h1").get_text()
        assert title != "Something went wrong", f"{path} answers {response.status_code} with {title!r}"
        if status is not None:
            assert (response.status_code, title) == (status, heading)


def test_switching_language_on_a_refused_form_returns_to_the_page_of_the_form(client, session) -> None:
    from tests.factories import csrf_token, make_user, sign_in

    sign_in(client, session, make_user(session, role="focal_point"))
    token = csrf_token(client.get("/account").text)
    refused = client.post(
        "/account/password",
        data={"csrf_token": token, "current": "wrong", "new": "x"},
        headers={"Referer": "http://testserver/account?tab=security"},
    )
    assert refused.status_code >= 400
    back = soup(refused.text).find("form", attrs={"action": "/language"}).find("input", attrs={"name": "next"})
    assert back["value"] == "/account?tab=security"
    filtered = client.get("/members", params={"subregion": "polynesia"})
    back = soup(filtered.text).find("form", attrs={"action": "/language"}).find("input", attrs={"name": "next"})
    assert back["value"] == "/members?subregion=polynesia", "the filters are kept across the switch"
