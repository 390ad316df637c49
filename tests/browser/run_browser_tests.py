"""Run every notebook in JupyterLab in a real browser and move every slider (``make test-browser``).

For each notebook: open it in JupyterLab (headless Debian chromium driven by Playwright), wait until its
kernel is connected and idle, *Run → Run All Cells*, wait until the kernel is done, assert that no cell
shows an error output, then move each ipywidgets slider with the keyboard (focus its handle, ArrowRight;
End/Home if that did not change anything) and assert that the figure or output it drives changed.
Screenshots go to ``build/screens/``.

    .venv/bin/python tests/browser/run_browser_tests.py [notebooks/00_why_explain.ipynb ...] [--timeout 600]

Installs what it needs when missing: Debian's ``chromium`` (apt-get, as root) and Playwright's Python
client (pip, into the running interpreter's environment); it never runs ``playwright install``.
JupyterLab runs on 127.0.0.1 with a random token and a free port, on a *copy* of the notebooks (with
autosave off, so nothing is ever written back), with its own settings, workspaces and config folders.
The server, its kernels and the browser are stopped by process id at the end, pass or fail.

Not collected by pytest (the file name does not start with ``test_``).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "build" / "screens"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PLAYWRIGHT = "playwright==1.65.2"

# JupyterLab user settings for the run: every cell in the DOM (no virtual scrolling, so every slider can be
# found), no autosave (nothing written back), no news or update checks (offline, no pop-ups).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

# JavaScript run in the page. `jupyterapp` is exposed by --LabApp.expose_app_in_browser.
JS_PANEL = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
JS_KERNEL_READY = f"""() => {{
  const p = {JS_PANEL};
  if (!p || !p.sessionContext || !p.content || !p.content.model) return false;
  const k = p.sessionContext.session && p.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}}"""
# count the kernel's busy periods, so that "an update ran and finished" can be told from "nothing happened yet"
JS_TRACK_BUSY = f"""() => {{
  const p = {JS_PANEL};
  window.__busy = 0;
  p.sessionContext.statusChanged.connect((_, s) => {{ if (s === 'busy') window.__busy += 1; }});
}}"""
JS_STATE = f"""() => {{
  const p = {JS_PANEL};
  const k = p.sessionContext.session && p.sessionContext.session.kernel;
  const cells = [];
  const model = p.content.model;
  for (let i = 0; i < model.cells.length; i++) {{
    const c = model.cells.get(i);
    if (c.type !== 'code') continue;
    const errors = [];
    for (let j = 0; j < c.outputs.length; j++) {{
      const o = c.outputs.get(j).toJSON();
      if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
    }}
    const tags = c.getMetadata ? (c.getMetadata('tags') || []) : [];
    cells.push({{index: i, count: c.executionCount, errors, raises: tags.includes('raises-exception')}});
  }}
  const queued = [...p.content.node.querySelectorAll('.jp-InputPrompt')].filter(e => e.textContent.includes('*')).length;
  const shown = [...p.content.node.querySelectorAll('.jp-OutputArea-output')]
    .map(e => e.textContent).filter(t => /Error displaying widget|Javascript Error|Traceback \\(most recent call last\\)/.test(t))
    .map(t => t.slice(0, 300));
  return {{status: k ? k.status : 'none', busy: window.__busy || 0, queued, cells, shown}};
}}"""
# what a slider can drive: every image in the notebook's outputs and the text of every Output widget
JS_OUTPUTS = """(root) => {
  const imgs = [...root.querySelectorAll('.jp-OutputArea img')].map(e => e.getAttribute('src') || '');
  const outs = [...root.querySelectorAll('.widget-output')].map(e => e.innerText);
  return {imgs, outs};
}"""
# a cheap signature of the same, polled while an update runs: string hashes, whether every image has
# loaded, and whether a progress bar is still short of 100 %
JS_SIGNATURE = """(root) => {
  const h = (s) => { let x = 2166136261; for (let i = 0; i < s.length; i++) { x ^= s.charCodeAt(i); x = Math.imul(x, 16777619); } return (x >>> 0).toString(16) + ':' + s.length; };
  const imgs = [...root.querySelectorAll('.jp-OutputArea img')];
  const outs = [...root.querySelectorAll('.widget-output')].map(e => h(e.innerText));
  const running = [...root.querySelectorAll('.widget-progress .progress-bar')].some(b => b.style.width && parseFloat(b.style.width) < 100);
  return {sig: imgs.map(e => h(e.getAttribute('src') || '')).join(',') + '|' + outs.join(','),
          loaded: imgs.every(e => e.complete && e.naturalWidth > 0), running};
}"""


def log(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------- installing what is missing
def ensure_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    if sudo and not shutil.which("sudo"):
        sys.exit(f"{CHROMIUM} is missing: run `apt-get install -y chromium` as root")
    log("installing Debian's chromium (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "chromium"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def ensure_playwright() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        log(f"installing {PLAYWRIGHT} (pip, Python client only; the browser is Debian's chromium)")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", PLAYWRIGHT], check=True)


# ---------------------------------------------------------------- the JupyterLab server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """JupyterLab on 127.0.0.1 with a random token, serving a copy of the notebooks."""

    def __init__(self, notebooks: list[Path], workdir: Path):
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.root = workdir / "root"
        (self.root / "notebooks").mkdir(parents=True)
        for nb in notebooks:
            shutil.copy2(nb, self.root / "notebooks" / nb.name)
        if (ROOT / "data").exists():
            (self.root / "data").symlink_to(ROOT / "data")  # for notebooks that read ../data
        settings = workdir / "settings"
        for name, value in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value))
        for d in ("config", "runtime", "workspaces"):
            (workdir / d).mkdir()
        jupyter = Path(sys.executable).with_name("jupyter")
        cmd = [
            str(jupyter if jupyter.exists() else "jupyter"),
            "lab",
            "--no-browser",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ] + (["--ServerApp.allow_root=True"] if os.geteuid() == 0 else [])  # CI runs as root
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(workdir / "config"),
            "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
        }
        env.pop("JUPYTER_TOKEN", None)
        self.log_path = ROOT / "build" / "browser-jupyter.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        # its own process group, so that stopping it reaches whatever it started in that group
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(
            self.base + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def wait_ready(self, timeout: float = 120) -> None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with {self.proc.returncode}; see {self.log_path}"
                )
            try:
                self.api("/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"jupyter lab did not answer in {timeout:.0f} s; see {self.log_path}")

    def shutdown_kernels(self) -> None:
        try:
            for s in self.api("/api/sessions"):
                self.api(f"/api/sessions/{s['id']}", method="DELETE")
        except OSError:
            pass


def descendants(pid: int) -> list[int]:
    """Process ids of every descendant of ``pid`` (kernels run in their own sessions, so a process group misses them)."""
    import psutil

    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


def stop(pids: list[int], group: int | None = None) -> None:
    """SIGTERM the process group ``group`` and the processes ``pids``; SIGKILL whatever is left after 10 s."""
    import psutil

    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.Error:
            pass
    if group is not None:
        try:
            os.killpg(group, signal.SIGTERM)
        except OSError:
            pass
    for p in procs:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, left = psutil.wait_procs(procs, timeout=10)  # also reaps our own children (no zombies left)
    for p in left:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=5)
    if group is not None:
        try:
            os.killpg(group, signal.SIGKILL)  # anything else still in the server's group
        except OSError:
            pass


# ---------------------------------------------------------------- one notebook
JS_IMAGES_LOADED = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea img')]
  .every(e => e.complete && e.naturalWidth > 0)"""


def outputs_state(page) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every figure (img src) and every Output widget's text in the notebook, once every image has loaded."""
    page.wait_for_function(JS_IMAGES_LOADED, polling=100)
    root = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first
    state = root.evaluate(JS_OUTPUTS)
    return tuple(state["imgs"]), tuple(state["outs"])


def transparent_share(src: str) -> float | None:
    """Share of fully transparent pixels of a PNG data URL (None for other images); raises if it is not a whole PNG."""
    import numpy as np
    from PIL import Image

    if not src.startswith("data:image/png;base64,"):
        return None
    im = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    im.load()  # a truncated PNG raises here
    rgba = np.asarray(im.convert("RGBA"))
    if (rgba == rgba[0, 0]).all():
        return 1.0  # blank: one colour
    return float((rgba[..., 3] == 0).mean())


def broken_figures(before: tuple[str, ...], after: tuple[str, ...]) -> list[str]:
    """New figures that are blank or partly drawn: more transparent pixels than any figure had before the move."""
    reference = max([t for t in map(transparent_share, before) if t is not None] or [0.0])
    problems = []
    for src in set(after) - set(before):
        share = transparent_share(src)
        if share is not None and share > reference + 0.02:
            problems.append(
                f"a new figure is blank or partly drawn ({share:.0%} of it transparent, before: {reference:.0%})"
            )
    return problems


def wait_kernel_done(page, busy_before: int, timeout: float, need_busy: bool = True) -> dict:
    """Wait until the kernel went busy (after ``busy_before`` busy periods) and is idle again with nothing queued."""
    t0, stable = time.monotonic(), 0
    while time.monotonic() - t0 < timeout:
        st = page.evaluate(JS_STATE)
        if st["status"] in ("dead", "autorestarting", "none"):
            raise RuntimeError(f"the kernel died (status {st['status']}): out of memory?")
        done = (
            st["status"] == "idle"
            and st["queued"] == 0
            and (st["busy"] > busy_before or not need_busy)
        )
        stable = stable + 1 if done else 0
        if stable >= 3:  # idle with nothing queued for three polls in a row
            return st
        page.wait_for_timeout(250)
    raise TimeoutError(
        f"kernel not done after {timeout:.0f} s (status {st['status']}, {st['queued']} cells queued)"
    )


def run_all(page) -> None:
    """Run → Run All Cells, through the menu bar as a person would."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").filter(has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def notebook_root(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first


def wait_for_update(page, cell, before: str, timeout: float, settle: float = 1.5) -> bool:
    """Wait until the outputs of ``cell`` differ from the signature ``before`` and then stay the same for ``settle`` seconds,
    with every image loaded, no progress bar running and the kernel idle. False if nothing changed in ``timeout``.

    The kernel's status alone cannot tell when a widget update is done: JupyterLab sends widget messages to a
    kernel subshell, whose work does not show in the status."""
    t0, last, since = time.monotonic(), None, None
    while time.monotonic() - t0 < timeout:
        st = page.evaluate(JS_STATE)
        if st["status"] in ("dead", "autorestarting", "none"):
            raise RuntimeError(f"the kernel died (status {st['status']}): out of memory?")
        errors = [e for c in st["cells"] for e in c["errors"]] + st["shown"]
        if errors:
            raise AssertionError(f"error output: {errors[0][:300]}")
        cur = cell.evaluate(JS_SIGNATURE)
        ready = (
            cur["sig"] != before and cur["loaded"] and not cur["running"] and st["status"] == "idle"
        )
        if ready and last == cur["sig"]:
            if time.monotonic() - since >= settle:
                return True
        else:
            since = time.monotonic()
        last = cur["sig"] if ready else None
        page.wait_for_timeout(250)
    return False


def move_slider(page, k: int, stem: str, timeout: float) -> str:
    """Move slider ``k`` with the keyboard: ArrowRight (ArrowLeft at its maximum); if no output of its cell
    changed, four more presses. Asserts that a figure or an Output widget's text in the slider's cell changed
    (``interactive_panel`` puts the figure in the same cell), that no new figure came out broken, and that the
    panel shows as many figures as before the move."""
    slider = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-slider").nth(k)
    handle = slider.locator(".noUi-handle").first
    label = (slider.locator(".widget-label").first.inner_text() or f"slider {k}").strip()
    cell = slider.locator(
        "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' jp-CodeCell ')][1]"
    )
    slider.scroll_into_view_if_needed()
    before = outputs_state(page)
    before_sig = cell.evaluate(JS_SIGNATURE)["sig"]
    n_before = cell.locator(
        ".widget-output img"
    ).count()  # an update replaces its figures: never doubled, never none
    pressed = 0
    for presses, wait in ((1, min(timeout, 120)), (4, timeout)):
        raw = handle.get_attribute("aria-valuenow")
        key = (
            "ArrowLeft"
            if float(raw) >= float(handle.get_attribute("aria-valuemax"))
            else "ArrowRight"
        )
        handle.focus()
        for _ in range(presses):
            page.keyboard.press(key)
        pressed += presses
        if not wait_for_update(page, cell, before_sig, wait):
            continue
        after = outputs_state(page)
        broken = broken_figures(before[0], after[0])
        if broken:
            raise AssertionError(f"slider {label!r} ({key}): {broken[0]}")
        n_after = cell.locator(".widget-output img").count()
        if n_after != n_before:
            raise AssertionError(
                f"slider {label!r} ({key}): the panel showed {n_before} figure(s) before the move and {n_after} after"
            )
        page.wait_for_timeout(300)  # let the new figure be painted before the screenshot
        cell.screenshot(path=str(SCREENS / f"{stem}-slider{k}.png"))
        what = "figure" if after[0] != before[0] else "output text"
        return f"{label} ({pressed}× {key}, {what} changed, value {handle.get_attribute('aria-valuenow')})"
    raise AssertionError(
        f"slider {label!r}: {pressed} key presses moved it, but no figure or output changed"
    )


def check_notebook(context, lab: Lab, nb: Path, i: int, timeout: float) -> tuple[bool, str]:
    stem = nb.stem
    page = context.new_page()
    t0 = time.monotonic()
    try:
        page.goto(
            f"{lab.base}/lab/workspaces/run{i}/tree/notebooks/{nb.name}?reset&token={lab.token}"
        )
        page.wait_for_function(JS_KERNEL_READY, timeout=120_000, polling=250)
        t_open = time.monotonic() - t0
        page.evaluate(JS_TRACK_BUSY)
        st = page.evaluate(JS_STATE)
        n_code = len(st["cells"])
        t1 = time.monotonic()
        run_all(page)
        st = wait_kernel_done(page, 0, timeout, need_busy=n_code > 0)
        t_run = time.monotonic() - t1
        page.screenshot(path=str(SCREENS / f"{stem}.png"))
        errors = [
            f"cell {c['index']}: {e}" for c in st["cells"] if not c["raises"] for e in c["errors"]
        ]
        assert not errors, "error output: " + "; ".join(errors)[:600]
        assert not st["shown"], f"error shown in an output: {st['shown'][0]}"
        skipped = [c["index"] for c in st["cells"] if c["count"] is None]
        assert not skipped, f"cells not executed: {skipped}"
        n_sliders = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-slider").count()
        moved = [move_slider(page, k, stem, timeout) for k in range(n_sliders)]
        total = time.monotonic() - t0
        detail = f"open {t_open:.1f} s, run all {t_run:.1f} s ({n_code} code cells), {n_sliders} slider(s) in {total - t_open - t_run:.1f} s, total {total:.1f} s"
        return True, detail + "".join(f"\n      moved {m}" for m in moved)
    except Exception as exc:  # noqa: BLE001 - report and go on to the next notebook
        try:
            page.screenshot(path=str(SCREENS / f"{stem}-FAILED.png"))
        except Exception:
            pass
        return (
            False,
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} (after {time.monotonic() - t0:.1f} s)",
        )
    finally:
        try:
            page.evaluate(f"() => {JS_PANEL} && {JS_PANEL}.sessionContext.shutdown()")
        except Exception:
            pass
        page.close()
        lab.shutdown_kernels()


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    ap.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds for Run All of one notebook, and for one slider update",
    )
    args = ap.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or sorted(
        (ROOT / "notebooks").glob("*.ipynb")
    )
    if not notebooks:
        sys.exit("no notebooks")

    ensure_chromium()
    ensure_playwright()
    from playwright.sync_api import sync_playwright

    SCREENS.mkdir(parents=True, exist_ok=True)
    for old in SCREENS.glob("*.png"):
        old.unlink()
    results: list[tuple[str, bool]] = []
    workdir = Path(tempfile.mkdtemp(prefix="xai-browser-"))
    lab = pw = browser = None
    t_start = time.monotonic()
    try:
        lab = Lab(notebooks, workdir)
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        lab.wait_ready()
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(60_000)
        log(
            f"JupyterLab {lab.base} and chromium {browser.version} ready in {time.monotonic() - t_start:.1f} s"
        )
        for i, nb in enumerate(notebooks):
            ok, detail = check_notebook(context, lab, nb, i, args.timeout)
            results.append((nb.name, ok))
            log(f"{'PASS' if ok else 'FAIL'} {nb.name}: {detail}")
        context.close()
    finally:
        pids = descendants(
            os.getpid()
        )  # the server, its kernels, Playwright's driver and the browser
        if lab is not None:
            lab.shutdown_kernels()
        for closer in (browser.close if browser else None, pw.stop if pw else None):
            try:
                if closer:
                    closer()
            except Exception:
                pass
        stop(pids, group=lab.proc.pid if lab is not None else None)
        if lab is not None:
            lab._log.close()
        shutil.rmtree(workdir, ignore_errors=True)
    passed = sum(ok for _, ok in results)
    failed = len(notebooks) - passed
    log(
        f"browser run: {time.monotonic() - t_start:.1f} s wall, screenshots in {SCREENS.relative_to(ROOT)}/"
    )
    log(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
