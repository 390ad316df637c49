"""Stress harness for the intermittent notebook stall (issue 17; issue 11 item 6).

Runs each chosen notebook N times, each in a fresh ``xai-course`` kernel (nbclient, as
``make test``, nbconvert and nbgrader do), with a short per-cell timeout, optionally beside a
CPU-heavy load. When a cell times out (no ``execute_reply`` on the shell channel), it dumps,
BEFORE the kernel is interrupted or killed:

- the kernel's Python and native stacks, every thread (``py-spy dump --native``), and those of
  its child processes, if any;
- the kernel's threads as the OS sees them (``/proc/<pid>/task/*``: name, state, wchan);
- the client side: which ``msg_id`` nbclient waits for, whether a shell reply is already
  waiting unread on the socket, nbclient's Output-widget hooks, the asyncio tasks and the
  harness's own Python threads;
- the last messages seen on each channel (sent and received on shell, iopub, control), from a
  ring buffer kept by wrapping the client's channel ``send``/``get_msg``;
- a ``kernel_info_request`` on the control channel (answered by the kernel's control thread
  even when its main thread is stuck), and after the interrupt, the traceback the kernel printed.

Each timeout is classified from its dump: ``busy`` (the kernel's main thread was computing: a slow
cell, not a stall), ``lost reply`` (the execute_reply was waiting unread in the client) or ``idle``.
Every reply also carries the kernel's send time, so a reply the client read more than 2 s after the
kernel sent it is reported as a LATE REPLY even when it arrived before the timeout; a cell that runs
``--probe`` seconds (default 30) without a reply is probed (kernel stacks, unread messages on the
client's sockets) without being interrupted.

Then, like ``nbgrader autograde`` (``interrupt_on_timeout``), it interrupts the kernel and
carries on with the next cell, so one run can show several stalls; ``--stop-on-stall`` stops
the run instead. A watchdog thread also dumps everything if the client's event loop itself
stops (no progress for ``timeout + 60`` s), which a cell timeout could not catch.

    python benchmarks/stress_notebooks.py notebooks/08_*.ipynb --runs 10 --load spin
    python benchmarks/stress_notebooks.py 03 08 --runs 5 --load none --timeout 90

Notebooks may be given as paths, as their two-digit prefix, or as ``panels``: a synthetic
notebook of 30 panel-then-plain-cell pairs (notebook 08's pattern, amplified). ``--load spin`` starts one
busy-looping Python process per core, ``--load torch`` one process doing float32 matmuls with
torch's default thread count, ``--load both`` both. Output: one summary line per run, then a
count of stalls per notebook and condition; per-run JSON lines and the stall dumps go to
``--out`` (default ``build/stress``). This is a benchmark, not a test: keep it out of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import faulthandler
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import nbformat
import zmq
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
KERNEL = "xai-course"
RING = 60  # messages kept per channel and direction

LOADS = {
    "spin": ["while True: pass"],
    "torch": ["import torch\na = torch.randn(768, 768)\nwhile True: a = (a @ a).tanh()"],
}


def start_load(kind: str) -> list[subprocess.Popen]:
    """Start the CPU-heavy processes for ``kind`` (none, spin, torch, both)."""
    if kind == "none":
        return []
    kinds = ["spin", "torch"] if kind == "both" else [kind]
    procs = []
    for k in kinds:
        copies = (os.cpu_count() or 1) if k == "spin" else 1
        for code in LOADS[k] * copies:
            procs.append(subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


def stop_load(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()


def summarize(msg: dict) -> dict:
    """A short, JSON-friendly description of one Jupyter message."""
    header, content = msg.get("header", {}), msg.get("content", {})
    s = {
        "type": header.get("msg_type"),
        "id": header.get("msg_id", "")[-12:],
        "parent": (msg.get("parent_header") or {}).get("msg_id", "")[-12:],
        "parent_type": (msg.get("parent_header") or {}).get("msg_type"),
        "date": str(header.get("date", "")),
    }
    t = s["type"]
    if t == "status":
        s["state"] = content.get("execution_state")
    elif t == "stream":
        s["text"] = content.get("text", "")[-120:]
    elif t in ("display_data", "execute_result", "update_display_data"):
        s["mime"] = sorted(content.get("data", {}))
    elif t == "clear_output":
        s["wait"] = content.get("wait")
    elif t in ("comm_open", "comm_msg", "comm_close"):
        data = content.get("data", {})
        s["comm"] = content.get("comm_id", "")[-8:]
        s["method"] = data.get("method")
        state = data.get("state", {})
        s["state_keys"] = sorted(state)
        if "msg_id" in state:
            s["widget_msg_id"] = str(state["msg_id"])[-12:]
        if "_model_name" in state:
            s["model"] = state["_model_name"]
    elif t == "execute_request":
        s["code"] = content.get("code", "")[:80]
    elif t in ("execute_reply", "kernel_info_reply"):
        s["status"] = content.get("status")
    elif t == "error":
        s["ename"] = content.get("ename")
    return s


class Recorder:
    """Ring buffers of the messages sent and received on each channel of a kernel client."""

    def __init__(self) -> None:
        self.buffers: dict[str, collections.deque] = collections.defaultdict(lambda: collections.deque(maxlen=RING))
        self.last_activity = time.monotonic()

    def note(self, key: str, msg: dict) -> None:
        self.last_activity = time.monotonic()
        entry = summarize(msg)
        entry["t"] = round(time.time(), 3)
        sent = msg.get("header", {}).get("date")
        if "_recv_t" in msg and hasattr(sent, "timestamp"):
            entry["lag_s"] = round(msg["_recv_t"] - sent.timestamp(), 3)  # kernel sent it -> client read it
        self.buffers[key].append(entry)

    def wrap(self, kc, rearm: bool = False) -> None:
        for name in ("shell", "iopub", "control"):
            ch = getattr(kc, f"{name}_channel")
            get, send = ch.get_msg, ch.send

            async def get_msg(*args, _get=get, _name=name, **kw):
                msg = await _get(*args, **kw)
                msg["_recv_t"] = time.time()
                self.note(f"{_name} recv", msg)
                return msg

            def send_msg(msg, _send=send, _name=name, _sock=ch.socket):
                self.note(f"{_name} sent", msg)
                result = _send(msg)
                if rearm:
                    # jupyter_client's Session.send writes through a plain (sync) shadow of this
                    # zmq.asyncio socket, which can swallow the socket's wake-up for a message that
                    # just arrived; zmq.asyncio.Socket.get(EVENTS) re-checks and re-arms it.
                    _sock.get(zmq.EVENTS)
                return result

            ch.get_msg, ch.send = get_msg, send_msg

    def dump(self) -> dict:
        return {k: list(v) for k, v in self.buffers.items()}


def proc_threads(pid: int) -> list[dict]:
    """The threads of ``pid`` as the OS sees them: name, state, kernel wait channel."""
    rows = []
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        try:
            stat = (task / "stat").read_text()
            state = stat[stat.rindex(")") + 2]
            rows.append({"tid": int(task.name), "name": (task / "comm").read_text().strip(), "state": state, "wchan": (task / "wchan").read_text()})
        except (OSError, ValueError):
            pass
    return rows


def children(pid: int) -> list[int]:
    try:
        import psutil

        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except Exception:
        return []


def py_spy(pid: int) -> str:
    exe = Path(sys.executable).with_name("py-spy")
    cmd = [str(exe) if exe.exists() else "py-spy", "dump", "--native", "--pid", str(pid)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return r.stdout + r.stderr
    except Exception as e:  # noqa: BLE001 - a diagnostic must not end the run
        return f"py-spy failed: {e!r}"


def client_threads() -> str:
    buf = io.StringIO()
    for tid, frame in sys._current_frames().items():
        name = next((t.name for t in threading.enumerate() if t.ident == tid), "?")
        buf.write(f"--- thread {tid} ({name})\n")
        buf.write("".join(traceback.format_stack(frame)))
    return buf.getvalue()


def asyncio_tasks() -> str:
    buf = io.StringIO()
    try:
        for task in asyncio.all_tasks():
            buf.write(f"--- {task!r}\n")
            task.print_stack(limit=12, file=buf)
    except RuntimeError as e:
        buf.write(f"(no running loop: {e})\n")
    return buf.getvalue()


def classify(dump: str) -> str:
    """What a timeout dump shows: ``busy`` (the kernel's main thread is computing: a slow cell, not
    a stall), ``lost reply`` (the reply waits unread in the client), or ``idle`` (kernel idle, no reply)."""
    if "-> 0 (" not in dump.split("## client: unread shell message ready?")[-1][:80]:
        return "lost reply"
    if "-> 0 (" not in dump.split("## client: reply arrived during the dump?")[-1][:80]:
        return "busy"  # the kernel finished while py-spy ran: a slow cell
    return "busy" if '(active): "MainThread"' in dump else "idle"


class StressClient(NotebookClient):
    """An nbclient that records its messages and dumps both sides of a stall before acting on it."""

    def __init__(self, nb, *, dump_dir: Path, stop_on_stall: bool, rearm: bool = False, **kw) -> None:
        super().__init__(nb, **kw)
        self.rearm = rearm
        self.dump_dir = dump_dir
        self.stop_on_stall = stop_on_stall
        self.recorder = Recorder()
        self.stalls: list[dict] = []
        self.cell_times: dict[int, float] = {}
        self.late: list[dict] = []  # cells whose execute_reply was read > 2 s after the kernel sent it
        self.loop = None
        self.current: dict = {}
        self.on_cell_execute = self._cell_start
        self.on_cell_executed = self._cell_done
        self.interrupt_on_timeout = not stop_on_stall
        self.allow_errors = True  # like nbgrader: a stalled-then-interrupted cell must not end the run
        self.error_on_timeout = None

    async def async_start_new_kernel_client(self):
        kc = self.km.client()
        self.kc = kc
        self.loop = asyncio.get_running_loop()
        await ensure_async(kc.start_channels())
        self.recorder.wrap(kc, self.rearm)
        await ensure_async(kc.wait_for_ready(timeout=self.startup_timeout))
        kc.allow_stdin = False
        return kc

    def kernel_pid(self) -> int | None:
        prov = getattr(self.km, "provisioner", None)
        proc = getattr(prov, "process", None)
        return getattr(proc, "pid", None)

    def _cell_start(self, cell, cell_index) -> None:
        self.current = {"index": cell_index, "t0": time.monotonic(), "source": cell.source}

    def _cell_done(self, cell, cell_index, execute_reply) -> None:
        self.cell_times[cell_index] = time.monotonic() - self.current.get("t0", time.monotonic())
        sent = (execute_reply or {}).get("header", {}).get("date")
        if "_recv_t" in (execute_reply or {}) and hasattr(sent, "timestamp"):
            lag = execute_reply["_recv_t"] - sent.timestamp()
            timed_out = any(st["cell"] == cell_index for st in self.stalls)  # the dump itself blocks the loop
            if lag > 2 and not timed_out:  # the kernel had replied; the client read the reply only now
                self.late.append({"cell": cell_index, "client_s": round(self.cell_times[cell_index], 1), "reply_lag_s": round(lag, 1),
                                  "probe": self.current.get("probe")})

    async def _async_handle_timeout(self, timeout, cell=None):
        index = self.current.get("index")
        dump = await self.diagnose(f"cell {index}: no execute_reply within {timeout} s")
        self.stalls.append({"cell": index, "dump": str(dump), "kind": classify(dump.read_text())})
        if self.stop_on_stall or sum(s["cell"] == index for s in self.stalls) > 1:
            self.interrupt_on_timeout = False  # the interrupt did not help: give up on this run
            return await super()._async_handle_timeout(timeout, cell)
        result = await super()._async_handle_timeout(timeout, cell)  # interrupts, like nbgrader
        asyncio.get_running_loop().call_later(20, self._after_interrupt, dump)
        return result

    def _after_interrupt(self, dump: Path) -> None:
        # what the kernel printed once interrupted: where the KeyboardInterrupt landed
        with open(dump, "a") as f:
            f.write("\n## messages 20 s after the interrupt\n")
            json.dump(self.recorder.dump(), f, indent=1)

    async def diagnose(self, why: str) -> Path:
        self.dump_dir.mkdir(parents=True, exist_ok=True)
        path = self.dump_dir / f"stall-cell{self.current.get('index')}-{int(time.time())}.txt"
        pid = self.kernel_pid()
        parts = [f"# stall: {why}", f"time {time.strftime('%H:%M:%S')}  kernel pid {pid}", "## cell source", self.current.get("source", "")]
        parts += ["## client: waiting for", json.dumps(self._waiting_for(), indent=1)]
        parts += ["## client: unread shell message ready?", await self._shell_ready()]  # before py-spy's seconds
        if pid:
            parts += ["## kernel threads (/proc)", json.dumps(proc_threads(pid), indent=1)]
            parts += ["## kernel stacks (py-spy dump --native)", py_spy(pid)]
            for c in children(pid):
                parts += [f"## child {c} stacks", py_spy(c)]
        parts += ["## client: reply arrived during the dump?", await self._shell_ready()]
        parts += ["## kernel_info on control", await self._control_ping()]
        parts += ["## last messages per channel", json.dumps(self.recorder.dump(), indent=1)]
        parts += ["## client asyncio tasks", asyncio_tasks(), "## client threads", client_threads()]
        path.write_text("\n".join(parts))
        return path

    def probe(self, seconds: float) -> None:
        """Called from the watchdog thread when a cell has run ``seconds`` without a reply.

        Dumps the kernel's stacks and, on the event loop, whether a message is waiting unread on
        the client's shell and iopub sockets (read with the plain zmq call, so the probe itself
        does not wake the asyncio socket). The cell goes on running.
        """
        index = self.current.get("index")
        self.dump_dir.mkdir(parents=True, exist_ok=True)
        path = self.dump_dir / f"probe-cell{index}-{int(time.time())}.txt"
        pid = self.kernel_pid()
        parts = [f"# probe: cell {index} has run {seconds:.0f} s without an execute_reply", "## client: waiting for", json.dumps(self._waiting_for(), indent=1)]
        if pid:
            parts += ["## kernel threads (/proc)", json.dumps(proc_threads(pid), indent=1), "## kernel stacks (py-spy dump --native)", py_spy(pid)]
        path.write_text("\n".join(parts))
        self.current["probe"] = str(path)

        def sockets() -> None:
            import zmq

            rows = {}
            for name in ("shell", "iopub", "control"):
                sock = getattr(self.kc, f"{name}_channel").socket
                rows[name] = {"zmq_events": zmq.Socket.get(sock, zmq.EVENTS), "asyncio_state": getattr(sock, "_state", None),
                              "recv_futures": len(getattr(sock, "_recv_futures", []) or [])}
            with open(path, "a") as f:
                f.write("\n## client sockets (zmq_events & 1 = POLLIN: a message is waiting unread)\n" + json.dumps(rows, indent=1))
                f.write("\n## last messages per channel\n" + json.dumps(self.recorder.dump(), indent=1))

        if self.loop is not None:
            self.loop.call_soon_threadsafe(sockets)

    def _waiting_for(self) -> dict:
        shell_sent = [m for m in self.recorder.buffers["shell sent"] if m["type"] == "execute_request"]
        return {
            "execute_request": shell_sent[-1] if shell_sent else None,
            "output_hooks": {k[-12:]: len(v) for k, v in self.output_hook_stack.items() if v},
            "comm_objects": len(self.comm_objects),
            "seconds_since_last_message": round(time.monotonic() - self.recorder.last_activity, 1),
        }

    async def _shell_ready(self) -> str:
        try:
            events = await self.kc.shell_channel.socket.poll(0)
            return f"poll(0) on the shell socket -> {events} (non-zero: a reply is waiting, the client missed it)"
        except Exception as e:  # noqa: BLE001
            return f"poll failed: {e!r}"

    async def _control_ping(self) -> str:
        try:
            msg = self.kc.session.msg("kernel_info_request")
            self.kc.control_channel.send(msg)
            t0 = time.monotonic()
            reply = await self.kc.control_channel.get_msg(timeout=10)
            return f"reply {reply['header']['msg_type']} after {time.monotonic() - t0:.2f} s (the control thread is alive)"
        except Exception as e:  # noqa: BLE001
            return f"no control reply in 10 s: {e!r}"


def watchdog(client: StressClient, limit: float, stop: threading.Event, out: Path, probe_s: float) -> None:
    """Probe a cell that runs ``probe_s`` without a reply; dump everything if the client itself stops."""
    while not stop.wait(2):
        t0 = client.current.get("t0")
        if t0 is not None and probe_s and "probe" not in client.current and time.monotonic() - t0 > probe_s:
            client.current["probe"] = "pending"
            client.probe(time.monotonic() - t0)
        if t0 is None or time.monotonic() - max(t0, client.recorder.last_activity) < limit:
            continue
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"watchdog-{int(time.time())}.txt"
        with open(path, "w") as f:
            f.write(f"# the client made no progress for {limit} s (cell {client.current.get('index')})\n## client threads\n")
            faulthandler.dump_traceback(f, all_threads=True)
            pid = client.kernel_pid()
            if pid:
                f.write("\n## kernel stacks\n" + py_spy(pid))
            f.write("\n## last messages\n" + json.dumps(client.recorder.dump(), indent=1))
        client.stalls.append({"cell": client.current.get("index"), "dump": str(path), "watchdog": True})
        client.recorder.last_activity = time.monotonic()


def run_once(path: Path, timeout: int, out: Path, stop_on_stall: bool, probe_s: float = 30, rearm: bool = False) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = StressClient(
        nb, dump_dir=out, stop_on_stall=stop_on_stall, rearm=rearm, timeout=timeout, kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.parent)}},
    )
    stop = threading.Event()
    threading.Thread(target=watchdog, args=(client, timeout + 60, stop, out, probe_s), daemon=True).start()
    t0 = time.perf_counter()
    status, detail = "ok", ""
    try:
        client.execute()
    except CellTimeoutError as e:
        status, detail = "stall", str(e).splitlines()[0]
    except DeadKernelError as e:
        status, detail = "dead", str(e)
    except CellExecutionError as e:
        status, detail = "error", str(e)[-300:]
    finally:
        stop.set()
    for stall in client.stalls:  # where the interrupt landed: the stalled cell's traceback
        cell = client.nb.cells[stall["cell"]] if stall["cell"] is not None else {}
        tbs = ["\n".join(o.get("traceback", [])) for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        with open(stall["dump"], "a") as f:
            f.write("\n## the stalled cell's outputs after the interrupt (error tracebacks)\n" + ("\n".join(tbs) or "(none)") + "\n")
    errors = [i for i, c in enumerate(client.nb.cells) if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    stalls = [st for st in client.stalls if st.get("kind") != "busy"]
    if status == "stall" and not stalls:
        status = "slow"  # every timeout caught the kernel computing
    if status == "ok" and stalls:
        status = "stall"
    elif status == "ok" and client.stalls:
        status = "slow"
    elif status == "ok" and errors:
        status, detail = "error", f"error output in cells {errors}"
    slow = max(client.cell_times.items(), key=lambda kv: kv[1], default=(None, 0.0))
    return {
        "notebook": path.name, "status": status, "wall_s": round(time.perf_counter() - t0, 1),
        "stalled_cells": [s["cell"] for s in stalls], "timeouts": [(s["cell"], s.get("kind", "watchdog")) for s in client.stalls],
        "dumps": [s["dump"] for s in client.stalls],
        "slowest_cell": slow[0], "slowest_s": round(slow[1], 1), "detail": detail, "late_replies": client.late,
        "cell_s": {k: round(v, 1) for k, v in client.cell_times.items()},
    }


def panels_notebook(out: Path, pairs: int = 30) -> Path:
    """A synthetic notebook that repeats notebook 08's pattern: a panel cell, then a plain cell.

    Each panel draws a small figure through ``interactive_panel`` (``plt.ioff()`` inside an
    ``Output`` widget), and every fifth pair also runs a ``tqdm.auto`` bar, so one run crosses
    the "right after a panel" boundary ``pairs`` times in a few seconds.
    """
    cells = [nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt, numpy as np, time\nfrom tqdm.auto import tqdm\nimport xai_helpers\n"
        "from xai_helpers.widgets import float_slider, interactive_panel\ndevice = xai_helpers.setup(seed=0)\n"
        "def draw(width):\n    fig, ax = plt.subplots(figsize=(3, 2))\n    ax.plot(np.sin(np.linspace(0, 10, 200) * width))\n    return f'width {width:.2f}'"
    )]
    for k in range(pairs):
        cells.append(nbformat.v4.new_code_cell(f"panel = interactive_panel(draw, width=float_slider('width', {0.5 + k / 100:.2f}, 0.1, 2.0))\npanel"))
        extra = "\nfor _ in tqdm(range(20)): time.sleep(0.01)" if k % 5 == 4 else ""
        cells.append(nbformat.v4.new_code_cell(f"x = {k} + 1\nprint(x){extra}"))
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": KERNEL, "display_name": KERNEL, "language": "python"}})
    out.mkdir(parents=True, exist_ok=True)
    path = out / "panels.ipynb"
    nbformat.write(nb, path)
    return path


def resolve(arg: str, out: Path) -> Path:
    if arg == "panels":
        return panels_notebook(out)
    p = Path(arg)
    if p.exists():
        return p.resolve()
    hits = sorted((ROOT / "notebooks").glob(f"{arg}*.ipynb"))
    if len(hits) != 1:
        raise SystemExit(f"{arg!r} names no single notebook (found {[h.name for h in hits]})")
    return hits[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="paths or two-digit prefixes (default: every numbered notebook)")
    ap.add_argument("--runs", type=int, default=10, help="runs per notebook (default 10)")
    ap.add_argument("--timeout", type=int, default=90, help="per-cell timeout in seconds (default 90)")
    ap.add_argument("--load", choices=["none", "spin", "torch", "both"], default="none", help="CPU-heavy process(es) beside the runs")
    ap.add_argument("--probe", type=float, default=30, help="probe (dump without interrupting) a cell that runs this long without a reply; 0: never")
    ap.add_argument("--rearm", action="store_true", help="client-side workaround: re-check the shell socket after each send (see Recorder.wrap)")
    ap.add_argument("--stop-on-stall", action="store_true", help="end a run at its first stall instead of interrupting and going on")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "stress", help="where the JSON lines and stall dumps go")
    args = ap.parse_args(argv)
    paths = [resolve(a, args.out) for a in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "runs.jsonl"
    counts: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
    load = start_load(args.load)
    signal.signal(signal.SIGTERM, lambda *_: (stop_load(load), sys.exit(143)))
    print(f"load={args.load} ({len(load)} processes), timeout={args.timeout} s, {args.runs} runs each, cpu={os.cpu_count()}", flush=True)
    try:
        for path in paths:
            for k in range(args.runs):
                load1 = os.getloadavg()[0]
                row = run_once(path, args.timeout, args.out / f"{path.stem}-{args.load}-{k}", args.stop_on_stall, args.probe, args.rearm)
                row.update(run=k, load=args.load, loadavg=round(load1, 2), time=time.strftime("%H:%M:%S"))
                c = counts[(path.name, args.load)]
                c[0] += 1
                c[1] += row["status"] == "stall"
                c[3] += bool(row["late_replies"])
                c[2] += row["status"] in ("error", "dead")
                c[4] += row["status"] == "slow"
                print(f"{row['time']} {path.name:34s} run {k:2d} load={args.load:5s} {row['status']:5s} {row['wall_s']:6.1f} s"
                      f"  slowest cell {row['slowest_cell']} {row['slowest_s']:.1f} s  loadavg {load1:.2f}"
                      + (f"  timeouts (cell, kind) {row['timeouts']} -> {row['dumps']}" if row["timeouts"] else "")
                      + "".join(f"  LATE REPLY cell {x['cell']}: read {x['reply_lag_s']} s after the kernel sent it ({x['probe']})" for x in row["late_replies"])
                      + (f"  {row['detail'][:200]}" if row["status"] in ("error", "dead") else ""), flush=True)
                with open(log, "a") as f:
                    f.write(json.dumps(row) + "\n")
    finally:
        stop_load(load)
    print("\nnotebook                            load   runs  stalls  errors  late-reply runs  slow-only runs")
    print("(stall: a timeout with the kernel idle; late reply: a reply read > 2 s after the kernel sent it;")
    print(" slow: every timeout caught the kernel computing)")
    for (name, kind), (n, s, e, late, slow) in counts.items():
        print(f"{name:34s}  {kind:5s}  {n:4d}  {s:6d}  {e:6d}  {late:15d}  {slow:14d}")
    return 1 if any(s or late for _, s, _, late, _ in counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
