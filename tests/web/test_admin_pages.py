"""The administrator's pages: users, API tokens, the zone profile and rule sets."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from factories import make_party
from hetao.admin.views.common import in_utc
from hetao.admin.views.profile import sections
from hetao.audit.models import AuditEvent
from hetao.auth.models import ApiToken, User
from hetao.auth.principal import Role
from hetao.crossing.models import RuleSet as StoredRuleSet
from hetao.engine.facts import Outcome
from hetao.engine.rules import SHIPPED_RULE_SET, shipped_rule_set_path
from hetao.profiles import ZoneProfile, load_profile
from hetao.reasons import Language
from hetao.reference_versions.models import ReferenceVersion, TableKind
from hetao.reference_versions.service import inspection_catalogue_in_force, rates_in_force
from hetao.storage.types import utcnow
from hetao.web.i18n import LANGUAGES, MESSAGES
from reference_versions.support import as_version
from web.support import PASSWORD, SETUP, is_page

NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture
def admin(console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]) -> str:
    """Sign an administrator in; returns the CSRF token of the session."""
    return sign_in(user(Role.ADMINISTRATOR))


def tags(session_maker: sessionmaker[Session]) -> list[str]:
    with session_maker() as s:
        return list(s.scalars(select(AuditEvent.tag).order_by(AuditEvent.seq)))


def user_row(session_maker: sessionmaker[Session], username: str) -> User:
    with session_maker() as s:
        found = s.scalars(select(User).where(User.username == username)).one()
        s.expunge(found)
        return found


class TestWhoMayUseThem:
    @pytest.mark.parametrize("path", ["/admin", "/admin/users", "/admin/profile"])
    def test_other_roles_get_the_403_page(
        self,
        console: TestClient,
        user: Callable[..., str],
        sign_in: Callable[[str], str],
        path: str,
    ) -> None:
        sign_in(user(Role.AUDITOR))
        response = console.get(path)
        assert response.status_code == 403
        assert is_page(response)

    def test_an_administrator_lands_on_the_admin_home_with_a_link_to_each_part(
        self, console: TestClient, admin: str
    ) -> None:
        landing = console.get("/", follow_redirects=False)
        assert landing.headers["location"] == "/admin"
        page = console.get("/admin")
        for path in ("/admin/users", "/admin/tokens", "/admin/profile", "/admin/rule-sets"):
            assert f'href="{path}"' in page.text
        assert page.headers["cache-control"] == "no-store"


class TestUsers:
    def test_creates_a_user_and_never_shows_the_password(
        self, console: TestClient, admin: str, session_maker: sessionmaker[Session]
    ) -> None:
        created = console.post(
            "/admin/users",
            data={
                "csrf_token": admin,
                "username": "wong.ka-yan",
                "display_name": "Wong Ka Yan",
                "role": "second_line_officer",
                "password": PASSWORD,
            },
            follow_redirects=False,
        )
        assert created.status_code == 303
        page = console.get(created.headers["location"])
        assert "wong.ka-yan" in page.text
        assert PASSWORD not in page.text
        assert user_row(session_maker, "wong.ka-yan").role is Role.SECOND_LINE_OFFICER
        assert "auth:user:create" in tags(session_maker)

    def test_a_refused_user_keeps_what_was_typed_but_the_password_and_writes_nothing(
        self, console: TestClient, admin: str, session_maker: sessionmaker[Session]
    ) -> None:
        before = tags(session_maker)
        refused = console.post(
            "/admin/users",
            data={
                "csrf_token": admin,
                "username": "chan.tai-man",
                "display_name": "Chan Tai Man",
                "role": "enterprise_user",
                "password": PASSWORD,
            },
        )
        assert refused.status_code == 422
        assert 'value="chan.tai-man"' in refused.text
        assert 'id="error-party_id"' in refused.text
        assert PASSWORD not in refused.text
        assert tags(session_maker) == before

    def test_changes_the_role_keeping_the_party_rule(
        self,
        console: TestClient,
        admin: str,
        user: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        target = user_row(session_maker, user(Role.FIRST_LINE_OFFICER))
        path = f"/admin/users/{target.id}/role"
        no_party = console.post(path, data={"csrf_token": admin, "role": "enterprise_user"})
        assert no_party.status_code == 422
        assert 'id="error-party_id"' in no_party.text
        with session_maker() as s:
            party_id = make_party(s, SETUP).id
            s.commit()
        changed = console.post(
            path,
            data={"csrf_token": admin, "role": "enterprise_user", "party_id": str(party_id)},
            follow_redirects=False,
        )
        assert changed.status_code == 303
        after = user_row(session_maker, target.username)
        assert (after.role, after.party_id) == (Role.ENTERPRISE_USER, party_id)
        assert tags(session_maker).count("auth:user:change_role") == 1

    def test_resets_the_password_without_showing_it(
        self,
        console: TestClient,
        admin: str,
        user: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        target = user_row(session_maker, user(Role.AUDITOR))
        path = f"/admin/users/{target.id}/password"
        short = console.post(path, data={"csrf_token": admin, "new_password": "short"})
        assert short.status_code == 422
        assert 'value="short"' not in short.text
        reset = console.post(path, data={"csrf_token": admin, "new_password": NEW_PASSWORD})
        assert reset.status_code == 200  # the user's page, after the 303
        assert NEW_PASSWORD not in reset.text
        assert "auth:user:reset_password" in tags(session_maker)

    def test_deactivates_and_reactivates(
        self,
        console: TestClient,
        admin: str,
        user: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        target = user_row(session_maker, user(Role.AUDITOR))
        console.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": admin})
        assert not user_row(session_maker, target.username).active
        page = console.get(f"/admin/users/{target.id}")
        assert f'action="/admin/users/{target.id}/reactivate"' in page.text
        console.post(f"/admin/users/{target.id}/reactivate", data={"csrf_token": admin})
        assert user_row(session_maker, target.username).active
        assert {"auth:user:deactivate", "auth:user:reactivate"} <= set(tags(session_maker))

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_an_administrator_cannot_deactivate_or_demote_themselves(
        self,
        console: TestClient,
        admin: str,
        session_maker: sessionmaker[Session],
        language: Language,
    ) -> None:
        with session_maker() as s:
            [own] = s.scalars(select(User.id).where(User.role == Role.ADMINISTRATOR))
        console.headers["Accept-Language"] = language
        page = console.get(f"/admin/users/{own}")
        note = MESSAGES[language]["admin.user.own_administration"]
        assert page.text.count(html.escape(note)) == 2  # in place of both forms
        assert f'action="/admin/users/{own}/deactivate"' not in page.text
        assert f'action="/admin/users/{own}/role"' not in page.text
        before = tags(session_maker)

        # Posted all the same (an old tab, a crafted form): refused, named, nothing written.
        refused = console.post(f"/admin/users/{own}/deactivate", data={"csrf_token": admin})
        changed = console.post(
            f"/admin/users/{own}/role", data={"csrf_token": admin, "role": "auditor"}
        )

        assert (refused.status_code, changed.status_code) == (409, 422)
        problem = MESSAGES[language]["problem.user.own_administration"]
        assert html.escape(problem) in refused.text
        assert html.escape(problem) in changed.text
        # The summary's links lead to what the page draws: the note, as the role field is not.
        for page_text in (refused.text, changed.text):
            for target in re.findall(r'<a href="#([^"]+)"', page_text):
                assert f'id="{target}"' in page_text, target
        assert '<a href="#own-role">' in changed.text
        with session_maker() as s:
            stored = s.get_one(User, own)
            assert (stored.active, stored.role) == (True, Role.ADMINISTRATOR)
        assert tags(session_maker)[len(before) :] == []

    def test_a_post_without_the_csrf_token_is_refused(
        self,
        console: TestClient,
        admin: str,
        user: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        target = user_row(session_maker, user(Role.AUDITOR))
        refused = console.post(f"/admin/users/{target.id}/deactivate")
        assert refused.status_code == 403
        assert user_row(session_maker, target.username).active


class TestTokens:
    def issue(self, console: TestClient, admin: str, **fields: Any) -> Any:
        data = {
            "csrf_token": admin,
            "name": "lane 3",
            "device_name": "gate-3",
            "roles": "gate_device",
            "crossing_points": "FBZ_CHANNEL_1",
        }
        return console.post("/admin/tokens", data={**data, **fields})

    def test_the_secret_is_shown_once_and_only_its_hash_is_kept(
        self,
        console: TestClient,
        admin: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        point = profile.crossing_points[0].code
        issued = self.issue(console, admin, crossing_points=point, expires_at=soon())
        assert issued.status_code == 200, issued.text
        assert issued.headers["cache-control"] == "no-store"
        secret = re.search(r'<code id="token-secret">([^<]+)</code>', issued.text)
        assert secret is not None
        raw = secret.group(1)
        listing = console.get("/admin/tokens")
        assert raw not in listing.text
        with session_maker() as s:
            token = s.scalars(select(ApiToken)).one()
            assert raw.split(".")[-1] not in token.token_hash
            assert token.crossing_points == [point]
        # The token works, and the revoke button ends it.
        assert (
            console.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"}).status_code
            == 200
        )
        console.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": admin})
        assert (
            console.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"}).status_code
            == 401
        )

    def test_a_refused_token_names_the_field_and_keeps_the_choices(
        self,
        console: TestClient,
        admin: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        point = profile.crossing_points[0].code
        refused = self.issue(
            console, admin, roles="auditor", crossing_points=point, expires_at=soon()
        )
        assert refused.status_code == 422
        assert 'id="error-roles"' in refused.text
        assert f'value="{point}" checked' in refused.text
        with session_maker() as s:
            assert s.scalars(select(ApiToken)).first() is None


def soon() -> str:
    """A token's expiry day a month ahead."""
    return (utcnow() + dt.timedelta(days=30)).date().isoformat()


class TestZoneProfile:
    def test_every_section_is_shown_with_its_name_in_the_page_language(
        self, console: TestClient, admin: str, profile: ZoneProfile
    ) -> None:
        page = console.get("/admin/profile", headers={"Accept-Language": "zh-Hant"})
        assert page.status_code == 200
        assert profile.zone.name.zh_hant in page.text
        assert profile.crossing_points[0].name.zh_hant in page.text
        assert "通關口岸" in page.text
        for key, _ in sections(profile):
            assert f'id="section-{key}"' in page.text

    def test_every_section_has_a_name_in_every_language(self, profile: ZoneProfile) -> None:
        keys = [f"admin.profile.section.{key}" for key, _ in sections(profile)]
        assert [(lang, k) for lang in LANGUAGES for k in keys if k not in MESSAGES[lang]] == []


class TestHainanProfilePage:
    """The Hainan-style profile's own keys (R23, R24) on the read-only page, in each language."""

    @pytest.fixture
    def profile(self) -> ZoneProfile:
        return load_profile("hainan")

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_zero_tariff_list_and_the_second_line_basis_are_shown(
        self, console: TestClient, admin: str, profile: ZoneProfile, language: Language
    ) -> None:
        page = console.get("/admin/profile", headers={"Accept-Language": language})
        assert page.status_code == 200
        text = html.unescape(page.text)
        name = {"en": profile.zone.name.en, "zh-Hant": profile.zone.name.zh_hant}
        assert name.get(language, profile.zone.name.zh_hans) in text
        assert MESSAGES[language]["admin.profile.section.tax"] in text
        for shown in (
            "exemption_list",
            "negative_list",
            "R23-taxed-goods-catalogue",
            "second_line_exit",
            "imported_inputs",
            "credit_paid_taxes",
            "zero_tariff_goods",
            "SL_SEAPORT",
        ):
            assert shown in text, (language, shown)


def shipped() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        shipped_rule_set_path(SHIPPED_RULE_SET).read_text(encoding="utf-8")
    )
    return document


def upload(console: TestClient, csrf: str, document: Any) -> Any:
    content = json.dumps(document).encode()
    return console.post(
        "/admin/rule-sets/check",
        data={"csrf_token": csrf},
        files={"file": ("rules.json", content, "application/json")},
    )


class TestRuleSets:
    def test_a_broken_rule_set_names_table_row_and_column(
        self, console: TestClient, admin: str
    ) -> None:
        document = shipped()
        document["tables"][0]["rows"][1]["outcome"] = "wave_through"
        checked = upload(console, admin, document)
        assert checked.status_code == 422
        table = document["tables"][0]["name"]
        row = re.search(
            rf"<code>{table}</code></td>\s*<td class=\"num\">2</td>\s*<td><code>outcome</code>",
            checked.text,
        )
        assert row is not None, checked.text
        assert "Use release, inspect or refuse." in checked.text

    def test_a_file_that_is_not_json_is_refused_on_the_page(
        self, console: TestClient, admin: str
    ) -> None:
        checked = console.post(
            "/admin/rule-sets/check",
            data={"csrf_token": admin},
            files={"file": ("rules.json", b"{nope", "application/json")},
        )
        assert checked.status_code == 422
        assert "json_malformed" in checked.text

    def test_checks_backtests_and_activates_a_valid_rule_set(
        self, console: TestClient, admin: str, session_maker: sessionmaker[Session]
    ) -> None:
        document = shipped()
        document["version"] = "hetao-2026.12-page"
        checked = upload(console, admin, document)
        assert checked.status_code == 200
        assert "hetao-2026.12-page" in checked.text
        hidden = re.search(r'name="document" value="([^"]*)"', checked.text)
        assert hidden is not None
        text = html.unescape(hidden.group(1))
        tested = console.post(
            "/admin/rule-sets/backtest",
            data={"csrf_token": admin, "document": text, "since": "2026-11-01"},
        )
        assert tested.status_code == 200
        assert 'id="report-title"' in tested.text
        with session_maker() as s:
            assert s.scalars(select(StoredRuleSet)).first() is None  # a back-test writes nothing
        stored = console.post(
            "/admin/rule-sets",
            data={"csrf_token": admin, "document": text, "activates_at": "2030-01-02T03:04"},
            follow_redirects=False,
        )
        assert stored.status_code == 303
        with session_maker() as s:
            row = s.scalars(select(StoredRuleSet)).one()
            assert row.version == "hetao-2026.12-page"
            assert row.activates_at.isoformat().startswith("2030-01-02T03:04:00")
        listing = console.get("/admin/rule-sets")
        assert "hetao-2026.12-page" in listing.text
        assert "crossing:rule_set:add" in tags(session_maker)

    def test_every_outcome_has_a_name_in_every_language(self) -> None:
        keys = [f"admin.rules.outcome.{outcome.value}" for outcome in Outcome]
        assert [(lang, k) for lang in LANGUAGES for k in keys if k not in MESSAGES[lang]] == []


def upload_table(
    console: TestClient, csrf: str, kind: str, text: str, effective_from: str = "2027-01-01"
) -> Any:
    return console.post(
        "/admin/reference",
        data={"csrf_token": csrf, "kind": kind, "effective_from": effective_from},
        files={"file": (f"{kind}.csv", text.encode(), "text/csv")},
        follow_redirects=False,
    )


class TestReferenceData:
    def test_shows_the_packaged_tables_in_force_until_one_is_uploaded(
        self, console: TestClient, admin: str
    ) -> None:
        page = console.get("/admin/reference")
        assert page.status_code == 200
        for kind in TableKind:
            assert f'id="table-{kind.value}"' in page.text
        assert page.text.count("SAMPLE-2026.1") == len(TableKind)

    def test_a_bad_cell_is_named_by_line_and_column_and_nothing_is_kept(
        self, console: TestClient, admin: str, session_maker: sessionmaker[Session]
    ) -> None:
        text = as_version(TableKind.TARIFF, "V-2027.1").replace(",0.05,", ",five,", 1)
        refused = upload_table(console, admin, "tariff", text)
        assert refused.status_code == 422
        row = re.search(
            r'<td class="num">(\d+)</td>\s*<td><code>duty_rate</code></td>', refused.text
        )
        assert row is not None, refused.text
        assert int(row.group(1)) > 1
        with session_maker() as s:
            assert s.scalars(select(ReferenceVersion)).first() is None

    def test_a_valid_version_is_kept_beside_the_others_from_its_day(
        self, console: TestClient, admin: str, session_maker: sessionmaker[Session]
    ) -> None:
        today = utcnow().date()
        for version, day in (("V-1", today), ("V-2", today + dt.timedelta(days=30))):
            text = as_version(TableKind.RATES, version)
            kept = upload_table(console, admin, "rates", text, day.isoformat())
            assert kept.status_code == 303, kept.text
        page = console.get("/admin/reference")
        assert "V-1" in page.text
        assert "V-2" in page.text
        with session_maker() as s:
            assert rates_in_force(s, on=today).version == "V-1"
            assert rates_in_force(s, on=today + dt.timedelta(days=31)).version == "V-2"
        assert tags(session_maker).count("reference:version:add") == 2
        again = upload_table(
            console, admin, "rates", as_version(TableKind.RATES, "V-1"), "2030-01-01"
        )
        assert again.status_code == 422
        assert "This version is stored already" in again.text

    def test_R12_a_catalogue_upload_is_checked_then_decides_from_its_day(  # noqa: N802 - rule
        self, console: TestClient, admin: str, session_maker: sessionmaker[Session]
    ) -> None:
        text = as_version(TableKind.INSPECTION, "LI-2027.1")
        refused = upload_table(console, admin, "inspection", text.replace(",220710,", ",22071,"))
        assert refused.status_code == 422
        assert "<td><code>code</code></td>" in refused.text
        kept = upload_table(console, admin, "inspection", text, "2027-01-01")
        assert kept.status_code == 303, kept.text
        page = console.get("/admin/reference")
        assert "LI-2027.1" in page.text
        with session_maker() as s:
            catalogue = inspection_catalogue_in_force(s, on=dt.date(2027, 1, 1))
            assert catalogue.version == "LI-2027.1"
            assert inspection_catalogue_in_force(s, on=dt.date(2026, 12, 31)).is_sample
        assert tags(session_maker).count("reference:version:add") == 1

    def test_every_table_kind_has_a_name_in_every_language(self) -> None:
        keys = [f"admin.reference.kind.{kind.value}" for kind in TableKind]
        assert [(lang, k) for lang in LANGUAGES for k in keys if k not in MESSAGES[lang]] == []


class TestFormTimes:
    @pytest.mark.parametrize(
        ("typed", "instant"),
        [
            ("2027-06-30", "2027-06-30T00:00:00+00:00"),
            ("2027-06-30T08:15", "2027-06-30T08:15:00+00:00"),
            ("2027-06-30T08:15:30", "2027-06-30T08:15:30+00:00"),
            ("30/06/2027", None),
            (None, None),
        ],
    )
    def test_a_day_or_a_local_time_is_read_as_utc(
        self, typed: str | None, instant: str | None
    ) -> None:
        assert in_utc(typed) == instant
