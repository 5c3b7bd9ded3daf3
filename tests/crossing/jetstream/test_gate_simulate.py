"""`hetao gate simulate`, the reference gate: it keeps its events in a local queue while NATS is
out of reach, and replays them, oldest first, once it is back."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

from sqlalchemy import Engine

from crossing.jetstream.support import (
    GATE_POINT,
    consuming,
    decision_rows,
    listen,
    run_hetao,
    server_options,
    stream_leader,
)
from hetao.natscluster import NatsCluster, free_ports


class TestGateSimulate:
    def test_keeps_events_in_its_local_queue_while_nats_is_down_and_replays_them(
        self,
        cluster: NatsCluster,
        hetao_env: dict[str, str],
        gate_token: str,
        committing_engine: Engine,
        tmp_path: Path,
    ) -> None:
        queue = tmp_path / "gate-queue.jsonl"
        [nobody] = free_ports(1)
        gate = ("gate", "simulate", "--point", GATE_POINT, "--queue", str(queue))

        down = run_hetao(
            hetao_env, *gate, "--count", "5", "--server", f"nats://127.0.0.1:{nobody}",
            "--retry-seconds", "0",
        )  # fmt: skip
        assert down.returncode == 0, down.stderr
        assert json.loads(down.stdout) == {"published": 0, "queued": 5, "decisions": {}}
        queued = [json.loads(line)["event_id"] for line in queue.read_text().splitlines()]
        assert len(queued) == 5

        async def network_back() -> subprocess.CompletedProcess[str]:
            connection, _ = await listen(cluster.urls)
            try:
                async with consuming(cluster.urls, committing_engine):
                    await stream_leader(connection, seconds=60)
                    return await asyncio.to_thread(
                        run_hetao,
                        hetao_env,
                        *gate,
                        *server_options(cluster.urls),
                        "--decision-seconds",
                        "60",
                    )
            finally:
                await connection.close()

        back = asyncio.run(network_back())
        assert back.returncode == 0, back.stderr
        report = json.loads(back.stdout)
        assert (report["published"], report["queued"]) == (5, 0)
        assert set(report["decisions"]) == set(queued)
        assert queue.read_text() == ""
        assert decision_rows(committing_engine) == dict.fromkeys(queued, 1)
        for run in (down, back):
            assert gate_token not in run.stdout + run.stderr

    def test_refuses_to_run_without_a_token_in_the_environment(self, tmp_path: Path) -> None:
        without_token = {k: v for k, v in os.environ.items() if k != "HETAO_GATE_TOKEN"}
        ran = run_hetao(
            without_token, "gate", "simulate", "--point", GATE_POINT, "--count", "1",
            "--queue", str(tmp_path / "q.jsonl"),
        )  # fmt: skip
        assert ran.returncode == 2
        assert "HETAO_GATE_TOKEN" in ran.stderr
