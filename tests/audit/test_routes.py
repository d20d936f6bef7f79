"""The audit log page: every change with who made it, before and after; admins only; fixed query count."""

from __future__ import annotations

from app.audit import service as audit
from app.auth import service
from tests.factories import QueryLog, make_user, page_csrf, sign_in, soup


def test_changes_appear_with_their_author_and_values_in_words(client, session) -> None:
    admin = make_user(session, role="admin", display_name="Sefo Admin")
    user = make_user(session, display_name="Mere Tūhoe")
    sign_in(client, session, admin)
    client.post(
        f"/admin/users/{user.id}/active", data={"active": "0", "confirmed": "yes", "csrf_token": page_csrf(client)}
    )
    audit.record(
        session,
        actor_id=admin.id,
        action="update",
        entity="meeting",
        entity_id=7,
        before={"title_en": "Réunion des PSME", "starts_at": "2026-12-05 21:00:00+00:00", "venue": ""},
        after={"title_en": "Réunion des PSME", "starts_at": "2026-12-06 21:00:00+00:00", "venue": "Suva"},
    )
    session.commit()
    rows = soup(client.get("/admin/audit").text).select("tbody tr")
    newest = [cell.get_text(" ", strip=True) for cell in rows[0].find_all("td")]
    assert newest[1:] == [
        "Sefo Admin",
        "Changed · meeting 7",
        "Starts: 5 Dec 2026, 21:00 UTC → 6 Dec 2026, 21:00 UTC Venue: — → Suva",
    ], "unchanged fields are left out, dates read as dates, an empty value as a dash"
    deactivated = [cell.get_text(" ", strip=True) for cell in rows[1].find_all("td")]
    assert deactivated[2:] == [f"Deactivated · account {user.id}", "Active: Yes → No"]
    assert "\\u" not in client.get("/admin/audit").text

    client.post("/language", data={"language": "fr", "next": "/admin/audit", "csrf_token": page_csrf(client)})
    french = [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")][2:]
        for row in soup(client.get("/admin/audit").text).select("tbody tr")
    ]
    assert french[1] == [
        "Modification · réunion 7",
        "Début\u00a0: 5 déc. 2026, 21:00 UTC → 6 déc. 2026, 21:00 UTC Lieu\u00a0: — → Suva",
    ]
    assert french[2] == [
        f"Désactivation · compte {user.id}",
        "Actif\u00a0: Oui → Non",
    ]


def test_audit_page_query_count_does_not_grow_with_entries(client, session, engine) -> None:
    admin = make_user(session, role="admin")
    sign_in(client, session, admin)
    client.get("/admin/audit")
    with QueryLog(engine) as few:
        client.get("/admin/audit")
    for number in range(30):
        service.create_user(
            session,
            email=f"bulk{number}@example.org",
            display_name=f"Bulk {number}",
            role="observer",
            actor_id=admin.id,
        )
    session.commit()
    with QueryLog(engine) as many:
        assert client.get("/admin/audit").status_code == 200
    # The visitor, the page's two, and the navigation's "waiting for you" count (one query on every signed-in page).
    assert len(many) == len(few) == 4, many.statements
