"""Secrets and the API token format (pure, no database)."""

from __future__ import annotations

import hashlib
import re

import pytest

from hetao.auth.tokens import (
    SECRET_LENGTH,
    format_token,
    hash_secret,
    new_secret,
    parse_token,
    secrets_match,
)

SECRET_WITH_UNDERSCORES = "ab_cd-" + "x" * (SECRET_LENGTH - 6)


class TestSecrets:
    def test_a_secret_is_43_url_safe_characters_and_never_repeats(self) -> None:
        secret = new_secret()
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
        assert secret != new_secret()

    def test_the_stored_hash_is_sha256_hex(self) -> None:
        assert hash_secret("s3cret") == hashlib.sha256(b"s3cret").hexdigest()

    def test_secrets_match_compares_against_the_hash(self) -> None:
        assert secrets_match("s3cret", hash_secret("s3cret"))
        assert not secrets_match("s3creT", hash_secret("s3cret"))


class TestTokenFormat:
    def test_round_trips_even_when_the_secret_contains_underscores(self) -> None:
        raw = format_token(42, SECRET_WITH_UNDERSCORES)
        assert raw == f"hetao_42_{SECRET_WITH_UNDERSCORES}"
        assert parse_token(raw) == (42, SECRET_WITH_UNDERSCORES)

    @pytest.mark.parametrize(
        "raw",
        [
            "",
            "hetao",
            "hetao_42",
            f"other_42_{'x' * SECRET_LENGTH}",
            f"hetao_x_{'x' * SECRET_LENGTH}",
            f"hetao_-1_{'x' * SECRET_LENGTH}",
            f"hetao_0_{'x' * SECRET_LENGTH}",
            f"hetao_42_{'x' * (SECRET_LENGTH - 1)}",
            f"hetao_99999999999_{'x' * SECRET_LENGTH}",
            f"hetao_٤٢_{'x' * SECRET_LENGTH}",
            "hetao_1_" + "x" * 10_000,
        ],
    )
    def test_refuses_anything_not_in_the_format(self, raw: str) -> None:
        assert parse_token(raw) is None
