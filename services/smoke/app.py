"""faust-streaming app of the smoke worker: one agent, one stream."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from typing import Any

from shared.contract.dead_letter import DeadLetter
from shared.contract.envelope import ContractError, decode, encode, wrap
from shared.contract.events import SmokePing, SmokePong
from shared.streaming import make_faust_app, raw_topic
from shared.topics import DEAD_LETTER, SMOKE_PINGS, SMOKE_PONGS

WORKER_NAME = f"smoke@{socket.gethostname()}:{os.getpid()}"

app = make_faust_app(os.environ.get("KETNOI_SMOKE_APP_ID", "ketnoi-smoke"))
pings = raw_topic(app, SMOKE_PINGS.name)
pongs = raw_topic(app, SMOKE_PONGS.name)
dead_letters = raw_topic(app, DEAD_LETTER.name)


def answer(ping: SmokePing) -> SmokePong:
    """The transformation under test: echo the ping, upper-cased, signed by this worker."""
    return SmokePong(
        ping_id=ping.ping_id,
        sequence=ping.sequence,
        text=ping.text.upper(),
        answered_by=WORKER_NAME,
    )


@app.agent(pings)
async def answer_pings(stream: Any) -> AsyncIterator[None]:
    async for event in stream.events():
        message = event.message
        try:
            envelope = decode(message.topic, message.value)
            if not isinstance(envelope.payload, SmokePing):
                raise ContractError(f"expected SmokePing, got {envelope.type}")
        except ContractError as error:
            letter = DeadLetter.of(
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                key=message.key,
                value=message.value,
                error=f"ContractError: {error}",
                consumer=app.conf.id,
            )
            await dead_letters.send(key=message.key, value=letter.to_bytes())
            continue
        pong = wrap(answer(envelope.payload), producer="smoke")
        await pongs.send(key=pong.key.encode(), value=encode(SMOKE_PONGS.name, pong))
        yield None
