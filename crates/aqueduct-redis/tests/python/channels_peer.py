"""A channels_redis process for aqueduct's interop tests (tests/interop.rs).

Run as `python channels_peer.py '<CONFIG as JSON>'`: it makes
`channels_redis.core.RedisChannelLayer(**CONFIG)`, then reads one command
per line on stdin and answers each with one line on stdout:

    {"op": "new_channel"}                          -> {"ok": "specific.<id>!<id>"}
    {"op": "send", "channel": C, "message": M}     -> {"ok": null}
    {"op": "receive", "channel": C, "timeout": S}  -> {"ok": M} or {"timeout": true}
    {"op": "group_add", "group": G, "channel": C}  -> {"ok": null}
    {"op": "group_send", "group": G, "message": M} -> {"ok": null}
    {"op": "hash", "name": N}                      -> {"ok": shard of N}

A failure answers {"error": "..."}. Messages travel as JSON with bytes
written {"$bytes": "<hex>"}, so that str and bytes stay distinct on the
way in and out; ints and floats keep JSON's own distinction (1 vs 1.0).
"""

import asyncio
import json
import sys

from channels_redis.core import RedisChannelLayer
from peer_loop import serve


def from_json(value):
    """JSON as the test wrote it -> the Python value it stands for."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return bytes.fromhex(value["$bytes"])
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value


def to_json(value):
    """A received Python value -> JSON, bytes tagged, anything else refused."""
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"unexpected {type(value).__name__} in a received message")


async def run(layer, command):
    op = command["op"]
    if op == "new_channel":
        return {"ok": await layer.new_channel()}
    if op == "send":
        await layer.send(command["channel"], from_json(command["message"]))
        return {"ok": None}
    if op == "receive":
        try:
            message = await asyncio.wait_for(
                layer.receive(command["channel"]), command["timeout"]
            )
        except asyncio.TimeoutError:
            return {"timeout": True}
        return {"ok": to_json(message)}
    if op == "group_add":
        await layer.group_add(command["group"], command["channel"])
        return {"ok": None}
    if op == "group_send":
        await layer.group_send(command["group"], from_json(command["message"]))
        return {"ok": None}
    if op == "hash":
        return {"ok": layer.consistent_hash(command["name"])}
    raise ValueError(f"unknown op {op!r}")


async def main():
    layer = RedisChannelLayer(**json.loads(sys.argv[1]))
    await serve(lambda command: run(layer, command))
    await layer.close_pools()

if __name__ == "__main__":
    asyncio.run(main())
