"""faust-streaming app of the matching worker: ``python -m services.matching worker``.

One agent consumes the demands, whose partitions the consumer group splits between workers;
the topics every worker needs in full are read beside it (``SharedStreams``). Both hand their
records to the one ``MatchingWorker``, which applies them to the engine and publishes what
changed. How work and results are split, and how a restart loses and repeats nothing, is in
``services/matching/worker.py`` and docs/matching.md.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import socket
import uuid
from typing import Any

from services.matching.domain.engine import MatchingEngine
from services.matching.log_reading import KafkaLogs, SharedStreams
from services.matching.model_store import models_in_use
from services.matching.outputs import KafkaOutputs
from services.matching.settings import MatchingSettings
from services.matching.worker import MatchingWorker
from shared.collector import FreezingCollector
from shared.settings import KafkaSettings
from shared.streaming import make_faust_app, raw_topic
from shared.topics import (
    COOPERATIVES,
    DEAD_LETTER,
    DEMANDS,
    FEEDBACK,
    LOAN_PRODUCTS,
    SOURCING_MATCHES,
)

log = logging.getLogger(__name__)

# Until the worker serves (``FreezingCollector`` from then on), scoring's many short-lived
# objects would have the collector scanning a tenth of the time at its default of 700.
gc.set_threshold(50_000, 20, 100)

settings = MatchingSettings()
kafka = KafkaSettings()
client_id = f"{settings.matching_app_id}@{socket.gethostname()}:{os.getpid()}"
publisher = uuid.uuid4().hex.encode()  # this process, never a later one with the same pid

settings.faust_dir.mkdir(parents=True, exist_ok=True)
app = make_faust_app(
    settings.matching_app_id,
    kafka,
    datadir=str(settings.faust_dir),
    broker_session_timeout=settings.matching_session_timeout_seconds,
    broker_heartbeat_interval=min(3.0, settings.matching_session_timeout_seconds / 4),
)
demands = raw_topic(app, DEMANDS.name)

sourcing_model, lead_model = models_in_use(settings.models_path)
outputs = KafkaOutputs(
    kafka, client_id, publisher, send_timeout_seconds=settings.matching_send_timeout_seconds
)
worker = MatchingWorker(
    MatchingEngine(sourcing_model=sourcing_model, lead_model=lead_model),
    consumer=settings.matching_app_id,
    outputs=outputs,
    logs=KafkaLogs(kafka, client_id),
    models_dir=settings.models_path,
    feedback_path=settings.feedback_path,
    publisher=publisher,
    collector=FreezingCollector(full_every=settings.matching_full_collection_seconds),
    # A worker that cannot rebuild its state stops, and a supervisor starts it again.
    on_failure=lambda error: asyncio.ensure_future(app.crash(error)),
)
shared = SharedStreams(
    kafka,
    client_id,
    [COOPERATIVES.name, LOAN_PRODUCTS.name, FEEDBACK.name, SOURCING_MATCHES.name, DEAD_LETTER.name],
    worker.on_shared_records,
)


# mode's signal-handler type matches no function under mypy, so signals are reached untyped.
signals: Any = app


@app.agent(demands)
async def match_demands(stream: Any) -> None:
    async for events in stream.take_events(
        settings.matching_batch, within=settings.matching_window_ms / 1000
    ):
        await worker.on_demand_records([event.message for event in events])


@signals.on_partitions_revoked.connect
async def stop_publishing(_: Any, *__: Any, **___: Any) -> None:
    await worker.on_revoked()


@signals.on_partitions_assigned.connect
async def take_over(_: Any, assigned: Any, *__: Any, **___: Any) -> None:
    # Starts the rebuild and returns: no heartbeats go out while this callback runs.
    partitions = {tp.partition for tp in assigned if tp.topic == DEMANDS.name}
    await worker.on_assigned(partitions, shared.catch_up)


@app.task
async def read_shared_topics() -> None:
    await shared.run()


@app.timer(settings.models_check_seconds)
async def pick_up_new_models() -> None:
    await worker.refresh_models()


@app.timer(3600.0)  # the day changes once; an hour late is soon enough to retract
async def close_demands_delivered() -> None:
    await worker.expire_demands()


@signals.on_before_shutdown.connect
async def close(_: Any, *__: Any, **___: Any) -> None:
    await worker.close()
    await shared.stop()
    await outputs.stop()
    log.info("published totals %s", json.dumps(worker.totals()))
