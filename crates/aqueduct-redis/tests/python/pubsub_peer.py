"""A Django-side peer for aqueduct's pub/sub layer tests.

Runs channels_redis.pubsub.RedisPubSubChannelLayer, unchanged, and obeys
one JSON command per line on stdin, answering one JSON line on stdout:

    {"op": "new_channel"}                          -> {"channel": "asgispecific.…"}
    {"op": "send", "channel": c, "message": m}     -> {"ok": true}
    {"op": "receive", "channel": c}                -> {"message": m}
    {"op": "group_add", "group": g, "channel": c}  -> {"ok": true}
    {"op": "group_send", "group": g, "message": m} -> {"ok": true}

A failure answers {"error": "..."}. The test that drives this script puts
its own timeouts around every answer.

Usage: pubsub_peer.py --prefix P --host redis://… [--host …] [--key K …]
"""

import argparse
import asyncio

from channels_redis.pubsub import RedisPubSubChannelLayer
from peer_loop import serve


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--host", action="append", required=True)
    parser.add_argument("--key", action="append", default=None)
    return parser.parse_args()


async def obey(layer, command):
    op = command["op"]
    if op == "new_channel":
        return {"channel": await layer.new_channel()}
    if op == "send":
        await layer.send(command["channel"], command["message"])
        return {"ok": True}
    if op == "receive":
        return {"message": await layer.receive(command["channel"])}
    if op == "group_add":
        await layer.group_add(command["group"], command["channel"])
        return {"ok": True}
    if op == "group_send":
        await layer.group_send(command["group"], command["message"])
        return {"ok": True}
    return {"error": f"unknown op {op!r}"}


async def main():
    args = parse_args()
    layer = RedisPubSubChannelLayer(
        hosts=args.host,
        prefix=args.prefix,
        symmetric_encryption_keys=args.key,
    )
    await serve(lambda command: obey(layer, command))
    await layer.flush()


if __name__ == "__main__":
    asyncio.run(main())
