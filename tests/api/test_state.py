"""The application's typed state: made with the app, reached through app_state()."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from hetao.api.state import AppState, app_state
from hetao.app import create_app
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine


class TestAppState:
    def test_the_app_made_by_create_app_has_every_long_lived_object(
        self, tmp_path: Path, profile: ZoneProfile
    ) -> None:
        app = create_app(engine=make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}"), profile=profile)
        state = app_state(app)
        assert isinstance(state, AppState)
        assert state.profile is profile
        assert state.background_work
        assert state.rates is None  # the shipped SAMPLE tables
        assert state.tariff is None
        assert len(state.crossing_seed_key) == 32
        assert not state.crossing_recorder.running  # its thread starts with the first crossing

    def test_refuses_an_app_it_did_not_make(self) -> None:
        with pytest.raises(TypeError, match="create_app"):
            app_state(FastAPI())

    def test_refuses_what_is_neither_a_request_nor_an_app(self) -> None:
        async def bare(scope: object, receive: object, send: object) -> None:
            return None

        with pytest.raises(TypeError, match="neither"):
            app_state(bare)
