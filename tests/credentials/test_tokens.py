"""Zone credential tokens and revocation lists, verified offline as a gate does (no database)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import stat
from pathlib import Path

import pytest

from credentials.support import NOW, claims_for, revocation_list, token_for
from hetao.credentials import tokens as credentials
from hetao.credentials.tokens import (
    QR_BUDGET,
    Failure,
    SignedRevocationList,
    SigningKey,
    keyring,
    verify_offline,
    verify_token,
)
from hetao.profiles import ZoneProfile

KEY = SigningKey.generate()
RING = keyring([KEY.public_key])
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def fresh_list(revoked: set[str] | None = None) -> SignedRevocationList:
    return revocation_list(KEY, revoked or set(), issued_at=NOW - dt.timedelta(hours=1))


class TestToken:
    def test_round_trip_gives_back_every_claim(self) -> None:
        claims, token = token_for(KEY, crossing_points=["FBZ_CHANNEL_1", "FUTIAN"])
        verdict = verify_token(token, keys=RING, at=NOW, zone="hetao")
        assert verdict.status == "valid"
        assert verdict.claims == claims
        assert verdict.claims.crossing_points == ("FBZ_CHANNEL_1", "FUTIAN")
        assert token.startswith("HZC1.")

    def test_the_payload_names_no_person_only_a_random_credential_id(self) -> None:
        first, _ = token_for(KEY)
        second, _ = token_for(KEY)
        assert first.credential_id != second.credential_id
        assert len(base64.urlsafe_b64decode(first.credential_id + "==")) == 16
        assert set(first.to_json()) == {
            "version",
            "credential_id",
            "key_id",
            "zone",
            "flows",
            "lines",
            "crossing_points",
            "issued_at",
            "not_before",
            "not_after",
        }

    def test_a_token_with_the_widest_scope_fits_the_qr_budget(self, profile: ZoneProfile) -> None:
        _, token = token_for(
            KEY,
            flows=[str(f) for f in profile.whitelist.scopes.flows],
            lines=[str(line) for line in profile.whitelist.scopes.lines],
            crossing_points=[p.code for p in profile.crossing_points],
        )
        assert len(token) < QR_BUDGET
        _, usual = token_for(KEY)
        assert len(usual) <= 180

    def test_key_id_is_the_first_8_bytes_of_sha256_of_the_raw_public_key(self) -> None:
        import hashlib

        from cryptography.hazmat.primitives import serialization

        raw = KEY.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        assert KEY.key_id == hashlib.sha256(raw).digest()[:8].hex()


class TestFailures:
    @pytest.mark.parametrize(
        "token",
        [
            "",
            "HZC1",
            "HZC2.AAAA.AAAA",
            "HZC1.AAAA",
            "HZC1.AAAA.AAAA.AAAA",
            "HZC1.!!!!.AAAA",
            "HZC1.AAAA.AAAA",
        ],
    )
    def test_malformed_tokens_are_refused_as_malformed(self, token: str) -> None:
        assert verify_token(token, keys=RING, at=NOW).status == Failure.MALFORMED

    def test_a_payload_of_another_layout_is_malformed_even_when_signed(self) -> None:
        claims = claims_for(KEY)
        payload = credentials.encode_payload(claims) + b"|extra"
        signed = f"HZC1.{credentials.encode_b64(payload)}"
        token = f"{signed}.{credentials.encode_b64(KEY.sign(signed.encode()))}"
        assert verify_token(token, keys=RING, at=NOW).status == Failure.MALFORMED

    def test_a_token_signed_by_an_unknown_key_is_refused(self) -> None:
        stranger = SigningKey.generate()
        _, token = token_for(stranger)
        verdict = verify_token(token, keys=RING, at=NOW)
        assert verdict.status == Failure.UNKNOWN_KEY

    def test_a_token_claiming_our_key_id_but_signed_by_another_is_an_invalid_signature(
        self,
    ) -> None:
        stranger = SigningKey.generate()
        claims = claims_for(KEY)
        signed = f"HZC1.{credentials.encode_b64(credentials.encode_payload(claims))}"
        forged = f"{signed}.{credentials.encode_b64(stranger.sign(signed.encode()))}"
        assert verify_token(forged, keys=RING, at=NOW).status == Failure.INVALID_SIGNATURE

    def test_a_signature_moved_onto_another_payload_is_invalid(self) -> None:
        _, first = token_for(KEY)
        _, second = token_for(KEY)
        swapped = first.rsplit(".", 1)[0] + "." + second.rsplit(".", 1)[1]
        assert verify_token(swapped, keys=RING, at=NOW).status == Failure.INVALID_SIGNATURE

    def test_every_character_changed_anywhere_in_the_token_is_refused(self) -> None:
        _, token = token_for(KEY, crossing_points=["FBZ_CHANNEL_1"])
        for position, char in enumerate(token):
            for replacement in {B64[(B64.find(char) + 1) % 64], "."}:
                if replacement == char:
                    continue
                altered = token[:position] + replacement + token[position + 1 :]
                verdict = verify_token(altered, keys=RING, at=NOW)
                assert not verdict.valid, (position, char, replacement)

    def test_every_bit_flipped_in_the_payload_or_signature_bytes_is_refused(self) -> None:
        _, token = token_for(KEY)
        prefix, payload, signature = token.split(".")
        for part in ("payload", "signature"):
            raw = bytearray(credentials.decode_b64(payload if part == "payload" else signature))
            for index in range(len(raw)):
                flipped = bytearray(raw)
                flipped[index] ^= 0x01
                body = credentials.encode_b64(bytes(flipped))
                altered = (
                    f"{prefix}.{body}.{signature}"
                    if part == "payload"
                    else f"{prefix}.{payload}.{body}"
                )
                assert not verify_token(altered, keys=RING, at=NOW).valid, (part, index)

    def test_a_non_canonical_base64_spelling_of_the_signature_is_malformed(self) -> None:
        _, token = token_for(KEY)
        head, signature = token.rsplit(".", 1)
        # 64 bytes leave 4 spare bits in the last character: setting one keeps the same bytes.
        last = B64.find(signature[-1])
        spare = B64[last ^ 0x01]
        verdict = verify_token(f"{head}.{signature[:-1]}{spare}", keys=RING, at=NOW)
        assert verdict.status == Failure.MALFORMED

    def test_a_token_of_another_zone_is_refused(self) -> None:
        _, token = token_for(KEY, zone="hengqin")
        assert verify_token(token, keys=RING, at=NOW, zone="hetao").status == Failure.WRONG_ZONE

    def test_before_its_window_a_token_is_not_yet_valid(self) -> None:
        claims, token = token_for(KEY)
        before = claims.not_before - dt.timedelta(seconds=1)
        assert verify_token(token, keys=RING, at=before).status == Failure.NOT_YET_VALID
        assert verify_token(token, keys=RING, at=claims.not_before).valid

    def test_at_the_end_of_its_window_a_token_is_expired(self) -> None:
        claims, token = token_for(KEY)
        last = claims.not_after - dt.timedelta(seconds=1)
        assert verify_token(token, keys=RING, at=last).valid
        assert verify_token(token, keys=RING, at=claims.not_after).status == Failure.EXPIRED

    def test_claims_with_an_empty_window_cannot_be_made(self) -> None:
        with pytest.raises(ValueError, match="not_after"):
            claims_for(KEY, not_after=NOW - dt.timedelta(days=1))

    def test_scope_values_must_be_profile_codes(self) -> None:
        with pytest.raises(ValueError, match="not a profile code"):
            claims_for(KEY, flows=["people|goods"])


class TestOffline:
    def test_a_fresh_list_without_the_id_clears_the_token(self) -> None:
        _, token = token_for(KEY)
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=fresh_list(), zone="hetao")
        assert verdict.status == "valid"

    def test_a_listed_credential_is_revoked(self) -> None:
        claims, token = token_for(KEY)
        listed = fresh_list({claims.credential_id})
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=listed)
        assert verdict.status == Failure.REVOKED

    def test_without_a_list_the_gate_cannot_say_valid(self) -> None:
        _, token = token_for(KEY)
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=None)
        assert verdict.status == Failure.REVOCATION_UNKNOWN

    def test_a_stale_list_makes_the_status_unknown_never_valid(self) -> None:
        _, token = token_for(KEY)
        old = revocation_list(KEY, set(), issued_at=NOW - dt.timedelta(hours=25))
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=old)
        assert verdict.status == Failure.REVOCATION_UNKNOWN
        assert "stale" in verdict.detail

    def test_the_maximum_age_is_a_parameter(self) -> None:
        _, token = token_for(KEY)
        listed = revocation_list(KEY, set(), issued_at=NOW - dt.timedelta(hours=2))
        one_hour = dt.timedelta(hours=1)
        assert verify_offline(token, keys=RING, at=NOW, revocations=listed).valid
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=listed, max_age=one_hour)
        assert verdict.status == Failure.REVOCATION_UNKNOWN

    def test_a_stale_list_still_proves_a_revocation(self) -> None:
        claims, token = token_for(KEY)
        old = revocation_list(KEY, {claims.credential_id}, issued_at=NOW - dt.timedelta(days=3))
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=old)
        assert verdict.status == Failure.REVOKED

    def test_a_list_with_a_forged_signature_is_not_trusted(self) -> None:
        claims, token = token_for(KEY)
        genuine = fresh_list({claims.credential_id})
        emptied = json.loads(genuine.body)
        emptied["revoked"] = []
        forged = SignedRevocationList(
            body=json.dumps(emptied, sort_keys=True, separators=(",", ":")),
            signature=genuine.signature,
        )
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=forged)
        assert verdict.status == Failure.REVOCATION_UNKNOWN
        assert "invalid_signature" in verdict.detail

    def test_a_list_signed_by_an_unknown_key_is_not_trusted(self) -> None:
        _, token = token_for(KEY)
        other = revocation_list(SigningKey.generate(), set())
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=other)
        assert verdict.status == Failure.REVOCATION_UNKNOWN
        assert "unknown_key" in verdict.detail

    def test_a_list_of_another_zone_is_not_trusted(self) -> None:
        _, token = token_for(KEY)
        other = revocation_list(KEY, set(), zone="hengqin")
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=other, zone="hetao")
        assert verdict.status == Failure.REVOCATION_UNKNOWN

    def test_a_list_older_than_one_already_seen_is_a_rollback(self) -> None:
        _, token = token_for(KEY)
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=fresh_list(), min_sequence=8)
        assert verdict.status == Failure.REVOCATION_UNKNOWN
        assert "rolled_back" in verdict.detail

    def test_a_list_from_the_future_beyond_clock_tolerance_is_not_trusted(self) -> None:
        _, token = token_for(KEY)
        ahead = revocation_list(KEY, set(), issued_at=NOW + dt.timedelta(hours=1))
        verdict = verify_offline(token, keys=RING, at=NOW, revocations=ahead)
        assert verdict.status == Failure.REVOCATION_UNKNOWN

    def test_an_invalid_token_is_refused_before_any_list_is_read(self) -> None:
        _, token = token_for(KEY)
        verdict = verify_offline(
            token, keys=RING, at=NOW + dt.timedelta(days=400), revocations=None
        )
        assert verdict.status == Failure.EXPIRED

    def test_the_signed_list_round_trips_through_json(self) -> None:
        listed = fresh_list({"AAAAAAAAAAAAAAAAAAAAAA"})
        again = SignedRevocationList.from_json(listed.to_json())
        assert again == listed
        read = credentials.read_revocation_list(again, keys=RING, zone="hetao")
        assert read.revoked == frozenset({"AAAAAAAAAAAAAAAAAAAAAA"})
        assert read.sequence == 7

    @pytest.mark.parametrize("text", ["[]", '{"body": "x"}', '{"body": 1, "signature": "x"}'])
    def test_a_list_file_of_another_shape_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="body"):
            SignedRevocationList.from_json(text)


class TestKeys:
    def test_the_key_file_is_created_once_readable_by_its_owner_only(self, tmp_path: Path) -> None:
        path = tmp_path / "credentials" / "signing-key.pem"
        first = SigningKey.load_or_create(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert SigningKey.load_or_create(path).key_id == first.key_id

    def test_key_rotation_keeps_old_tokens_verifying_against_the_set(self, tmp_path: Path) -> None:
        path = tmp_path / "signing-key.pem"
        old = SigningKey.load_or_create(path)
        _, old_token = token_for(old)
        retired, new = credentials.rotate_signing_key(path)
        assert retired == old.key_id
        assert new.key_id != old.key_id
        assert SigningKey.load_or_create(path).key_id == new.key_id
        assert (tmp_path / f"signing-key.{old.key_id}.retired.pem").exists()
        _, new_token = token_for(new)
        ring = keyring([old.public_pem, new.public_key])
        assert verify_token(old_token, keys=ring, at=NOW).valid
        assert verify_token(new_token, keys=ring, at=NOW).valid
        only_new = keyring([new.public_key])
        assert verify_token(old_token, keys=only_new, at=NOW).status == Failure.UNKNOWN_KEY

    def test_the_default_key_path_is_in_the_data_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("HETAO_CREDENTIAL_SIGNING_KEY", raising=False)
        assert credentials.signing_key_path(tmp_path) == (
            tmp_path / "credentials" / "signing-key.pem"
        )
        monkeypatch.setenv("HETAO_CREDENTIAL_SIGNING_KEY", str(tmp_path / "k.pem"))
        assert credentials.signing_key_path(tmp_path) == tmp_path / "k.pem"

    def test_claims_naming_another_key_are_not_signed(self) -> None:
        claims = claims_for(SigningKey.generate())
        with pytest.raises(ValueError, match="signing with"):
            credentials.sign_token(claims, KEY)


class TestGateCache:
    def test_a_list_read_once_serves_every_token_and_its_age_is_still_checked(self) -> None:
        claims, token = token_for(KEY)
        _, other = token_for(KEY)
        signed = fresh_list({claims.credential_id})
        listed = credentials.read_revocation_list(signed, keys=RING, zone="hetao")
        assert verify_offline(token, keys=RING, at=NOW, revocations=listed).status == "revoked"
        assert verify_offline(other, keys=RING, at=NOW, revocations=listed).valid
        later = NOW + dt.timedelta(days=2)
        verdict = verify_offline(other, keys=RING, at=later, revocations=listed)
        assert verdict.status == Failure.REVOCATION_UNKNOWN
