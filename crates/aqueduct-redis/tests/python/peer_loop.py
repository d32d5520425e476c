"""The command loop both Python peers share: one JSON command per line on
stdin, one JSON answer per line on stdout, a failure answered as
{"error": "..."} for the Rust test to report."""

import asyncio
import json
import sys


async def serve(obey):
    """Answers each command with `await obey(command)` until stdin ends."""
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        try:
            answer = await obey(json.loads(line))
        except Exception as error:  # the test reports it and fails
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
