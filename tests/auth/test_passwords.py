"""Password hashing and the password policy (pure, no database)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from hetao.auth.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from hetao.errors import ValidationFailed

PASSWORD = "correct horse battery"


class TestPasswordHashing:
    def test_hashes_with_argon2id_and_verifies_only_the_same_password(self) -> None:
        stored = hash_password(PASSWORD)
        assert stored.startswith("$argon2id$")
        assert PASSWORD not in stored
        assert verify_password(stored, PASSWORD)
        assert not verify_password(stored, PASSWORD + "!")

    def test_each_hash_has_its_own_salt(self) -> None:
        assert hash_password(PASSWORD) != hash_password(PASSWORD)

    @pytest.mark.parametrize("stored", ["", "plaintext", "$argon2id$v=19$broken"])
    def test_a_malformed_hash_never_verifies(self, stored: str) -> None:
        assert not verify_password(stored, PASSWORD)

    def test_a_hash_made_with_weaker_parameters_needs_rehash(self) -> None:
        weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
        assert needs_rehash(weak.hash(PASSWORD))
        assert not needs_rehash(hash_password(PASSWORD))


class TestPasswordPolicy:
    def test_refuses_a_password_shorter_than_12_characters(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            check_password_policy("elevenchars", username="chen")
        problem = caught.value.problems[0]
        assert (problem.field, problem.rule) == ("password", "password.policy")
        assert "12" in problem.message

    def test_refuses_the_username_as_password_whatever_its_case(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            check_password_policy("Chen.Jiayi.Lab", username="chen.jiayi.lab")
        assert caught.value.problems[0].rule == "password.policy"
        assert "username" in caught.value.problems[0].message

    def test_refuses_an_overlong_password(self) -> None:
        with pytest.raises(ValidationFailed):
            check_password_policy("x" * 1025, username="chen")

    def test_accepts_twelve_characters_other_than_the_username(self) -> None:
        check_password_policy("twelve chars", username="chen")
