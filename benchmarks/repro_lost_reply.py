"""The cause of the notebook stall of issue 17, without notebooks or widgets.

An ``AsyncKernelClient`` (what nbclient, nbconvert and nbgrader use) waits for an
``execute_reply`` on the shell channel while it sends other messages on that same channel, as
nbclient does when it mirrors an Output widget (it sends the widget's new state back to the kernel
as a ``comm_msg``). jupyter_client's ``Session.send`` writes through a plain (synchronous) shadow of
the ``zmq.asyncio`` socket; that write can consume the socket's wake-up for a reply that has just
arrived, without the asyncio socket re-checking ``ZMQ_EVENTS``. The pending ``get_msg`` then sleeps
until its timeout, whose final ``poll(0)`` finds the reply that had been waiting all along: a cell
"sits idle" for exactly the cell timeout, with the kernel idle.

    python benchmarks/repro_lost_reply.py 200           # counts replies read > 2 s after they were sent
    python benchmarks/repro_lost_reply.py 200 --rearm   # re-check the socket after each send: none

Measured on the 2-core course machine (shared with other jobs, load average 15-30): without
``--rearm`` 9 late replies in 610 requests (batches of 100, 10, 200, 300: 2, 1, 0, 6), each read
at the 5 s timeout although the kernel had sent it ~5 s before; with ``--rearm`` 0 in 500 (200 + 300).
A benchmark, not a test: the race is timing-dependent.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import zmq
from jupyter_client.manager import AsyncKernelManager


async def main(n: int, rearm: bool, timeout: float, kernel: str) -> int:
    km = AsyncKernelManager(kernel_name=kernel)
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    late = 0
    try:
        for i in range(n):
            msg_id = kc.execute("import time; time.sleep(0.02)")

            async def chatter() -> None:
                # like nbclient's OutputWidget.sync_state: comm messages on shell while the reply is awaited
                for _ in range(30):
                    await asyncio.sleep(0.001)
                    kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": "none", "data": {}}))
                    if rearm:
                        kc.shell_channel.socket.get(zmq.EVENTS)  # zmq.asyncio re-checks and re-arms

            task = asyncio.ensure_future(chatter())
            t0 = time.monotonic()
            while True:
                reply = await kc.shell_channel.get_msg(timeout=timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            waited = time.monotonic() - t0
            await task
            if waited > 2:
                late += 1
                sent_ago = time.time() - reply["header"]["date"].timestamp()
                print(f"request {i}: reply read after {waited:.2f} s; the kernel had sent it {sent_ago:.2f} s before", flush=True)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
    print(f"{late} late replies in {n} requests (rearm={rearm})")
    return late


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=200, help="execute requests (default 200)")
    ap.add_argument("--rearm", action="store_true", help="re-check the shell socket after each send")
    ap.add_argument("--timeout", type=float, default=5.0, help="get_msg timeout in seconds (default 5)")
    ap.add_argument("--kernel", default="xai-course")
    args = ap.parse_args()
    raise SystemExit(1 if asyncio.run(main(args.n, args.rearm, args.timeout, args.kernel)) else 0)
