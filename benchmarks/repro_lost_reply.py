"""jupyter_client can miss an ``execute_reply`` that arrives while it sends on the same shell socket.

For the jupyter_client maintainers (jupyter_client 8.10.0, pyzmq 27.3.0 / libzmq 4.3.5, ipykernel 6.31.0,
Python 3.11, Linux): ``Session.send`` (session.py, ``if isinstance(stream, zmq.asyncio.Socket): stream =
zmq.Socket.shadow(stream.underlying)``) writes an ``zmq.asyncio`` socket through a synchronous shadow. That
write reads the socket's ``ZMQ_EVENTS`` and so consumes the edge-triggered wake-up of a reply that has just
arrived, and the asyncio socket is never told to re-check. A pending ``await shell_channel.get_msg(timeout=T)``
then sleeps the full T, and its final ``poll(0)`` finds the reply that had been waiting all along. nbclient
(hence nbconvert, papermill, nbgrader) sends ``comm_msg`` on shell while it awaits a reply whenever an Output
widget changes, so a notebook cell "hangs" for exactly the cell timeout with the kernel idle. Expected: the
reply is returned when it arrives. A fix to try: send through the asyncio socket itself, or re-check
``socket.get(zmq.EVENTS)`` on the asyncio socket after each shadow send (``--rearm`` below does exactly
that and makes the late replies disappear).

    python benchmarks/repro_lost_reply.py 200           # counts replies read > 2 s after they were sent
    python benchmarks/repro_lost_reply.py 200 --rearm   # re-check the socket after each send: none

Measured on a 2-core machine shared with other jobs (load average 15-30): without ``--rearm`` 9 late
replies in 610 requests, each read at the 5 s timeout although the kernel had sent it ~5 s before; with
``--rearm`` 0 in 500. The race depends on timing: a quiet machine may need thousands of requests. Needs only
jupyter_client and a ``python3`` kernel (``make repro-lost-reply``); the course's notebooks avoid the trigger
(their panels do not make nbclient send mid-cell).
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
                    kc.shell_channel.send(
                        kc.session.msg("comm_msg", {"comm_id": "none", "data": {}})
                    )
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
                print(
                    f"request {i}: reply read after {waited:.2f} s; the kernel had sent it {sent_ago:.2f} s before",
                    flush=True,
                )
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
    print(f"{late} late replies in {n} requests (rearm={rearm})")
    return late


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=200, help="execute requests (default 200)")
    ap.add_argument(
        "--rearm", action="store_true", help="re-check the shell socket after each send"
    )
    ap.add_argument(
        "--timeout", type=float, default=5.0, help="get_msg timeout in seconds (default 5)"
    )
    ap.add_argument("--kernel", default="python3")
    args = ap.parse_args()
    raise SystemExit(1 if asyncio.run(main(args.n, args.rearm, args.timeout, args.kernel)) else 0)
