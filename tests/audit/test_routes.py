"""The audit log page: every change with who made it, before and after; admins only; fixed query count."""

from __future__ import annotations

from app.auth import service
from tests.factories import QueryLog, make_user, page_csrf, sign_in, soup


def test_changes_appear_with_their_author_and_values(client, session) -> None:
    admin = make_user(session, role="admin", display_name="Sefo Admin")
    user = make_user(session)
    sign_in(client, session, admin)
    client.post(
        f"/admin/users/{user.id}/active", data={"active": "0", "confirmed": "yes", "csrf_token": page_csrf(client)}
    )
    rows = soup(client.get("/admin/audit").text).select("tbody tr")
    newest = [cell.get_text(" ", strip=True) for cell in rows[0].find_all("td")]
    assert newest[1] == "Sefo Admin"
    assert newest[2] == f"deactivate user {user.id}"
    assert '"is_active": true' in newest[3] and '"is_active": false' in newest[4]


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
    assert len(many) == len(few) == 3, many.statements
