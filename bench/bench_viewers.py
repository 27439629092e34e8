"""Time to the first drawn view: tfinspect's page next to Netron and Model Explorer.

For each model, in headless Chromium (selenium, the system chromedriver, offline flags):

- tfinspect: ``tfinspect graph MODEL -o page.html`` (writing the page) plus opening the
  file until its first level is drawn (``document.body.dataset.ready``);
- Netron (``pip install netron``): start ``netron MODEL --port P``, open the page and wait
  until its SVG holds a drawn node;
- Model Explorer (``pip install ai-edge-model-explorer``; its TensorFlow adapters need
  tensorflow in the same environment): start ``model-explorer MODEL --port P
  --no_open_in_browser``, open the URL it prints and wait until its graph canvas is drawn.

A viewer that is not installed is skipped with a note (its column says so).  The server
start and the model's conversion count, as a user waits for them too.  Screenshots of each
first view go to ``--shots`` (the docs' gallery reads them from docs/pages/images/viewers/).

    python bench/bench_viewers.py fixtures/seed003/SavedModel frozen.pb \\
        --netron /work/venvs/netron/bin/netron \\
        --model-explorer /work/venvs/modelexplorer/bin/model-explorer

Not part of the test suite: it starts servers and a browser and takes minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,900",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost")
TIMEOUT = 120.0


def browser():
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='bench-chromium-')}")
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                            options=options)


def wait(driver, script: str, deadline: float) -> bool:
    from selenium.common.exceptions import WebDriverException

    while time.perf_counter() < deadline:
        try:
            if driver.execute_script(script):
                return True
        except WebDriverException:  # the page is still loading: ask again
            time.sleep(0.05)
            continue
        time.sleep(0.05)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_tfinspect(driver, model: str, shot: Path) -> float | None:
    page = Path(tempfile.mkdtemp(prefix="bench-page-")) / "page.html"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "inspector", "graph", model, "-o", str(page)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        print(f"  tfinspect failed: {done.stderr.strip()}", file=sys.stderr)
        return None
    driver.get(page.as_uri())
    if not wait(driver, "return document.body.dataset.ready", start + TIMEOUT):
        return None
    elapsed = time.perf_counter() - start
    driver.save_screenshot(str(shot))
    return elapsed


def time_server(driver, command: list[str], url_pattern: str | None, drawn: str, port: int,
                shot: Path) -> float | None:
    with tempfile.TemporaryFile(mode="w+") as log:
        return _time_server(driver, command, url_pattern, drawn, port, shot, log)


def _time_server(driver, command, url_pattern, drawn, port, shot, log) -> float | None:
    start = time.perf_counter()
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://localhost:{port}/"
        while time.perf_counter() < start + TIMEOUT:
            log.seek(0)
            text = log.read()
            found = re.search(url_pattern, text) if url_pattern else None
            if found:
                url = found.group(0)
                break
            if url_pattern is None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    pass
            if server.poll() is not None:
                print(f"  server exited: {text[-500:]}", file=sys.stderr)
                return None
            time.sleep(0.05)
        driver.get(url)
        if not wait(driver, drawn, start + TIMEOUT):
            return None
        elapsed = time.perf_counter() - start
        driver.save_screenshot(str(shot))
        return elapsed
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


# Netron first asks to accept its usage cookies, as a new user sees it: accept, then wait
# until it shows the graph (its body's class turns "default" once the splash screen goes).
NETRON_DRAWN = ("const b = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Accept');"
                "if (b) b.click(); return document.body.classList.contains('default')"
                " && document.querySelectorAll('#canvas g.node').length > 0")
EXPLORER_DRAWN = ("const r = document.querySelector('webgl-renderer canvas, model-graph-visualizer canvas');"
                  "return !!r && r.width > 0 && !!document.querySelector('webgl-renderer')")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--netron", default=shutil.which("netron"), help="the netron command")
    parser.add_argument("--model-explorer", default=shutil.which("model-explorer"),
                        help="the model-explorer command")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds to wait for a view (120)")
    parser.add_argument("--shots", type=Path, default=ROOT / "build" / "viewers", help="screenshot folder")
    args = parser.parse_args()
    globals()["TIMEOUT"] = args.timeout  # one setting for every wait
    args.shots.mkdir(parents=True, exist_ok=True)
    for name, command in (("Netron", args.netron), ("Model Explorer", args.model_explorer)):
        if not command:
            print(f"note: {name} is not installed; its column is skipped", file=sys.stderr)
    driver = browser()
    rows = []
    try:
        for model in args.models:
            stem = re.sub(r"[^A-Za-z0-9]+", "_", model).strip("_")[-60:]
            print(model, file=sys.stderr)
            ours = time_tfinspect(driver, model, args.shots / f"{stem}-tfinspect.png")
            netron = explorer = None
            served = str(Path(model) / "saved_model.pb") if Path(model, "saved_model.pb").exists() else model
            if args.netron:
                port = free_port()
                netron = time_server(driver, [args.netron, served, "--port", str(port)], None, NETRON_DRAWN,
                                     port, args.shots / f"{stem}-netron.png")
            if args.model_explorer:
                port = free_port()
                explorer = time_server(driver, [args.model_explorer, served, "--port", str(port),
                                                "--no_open_in_browser", "--skip_health_check"],
                                       rf"http://localhost:{port}/\S*", EXPLORER_DRAWN, port,
                                       args.shots / f"{stem}-model-explorer.png")
            rows.append((model, ours, netron, explorer))
    finally:
        driver.quit()

    def cell(value, installed=True) -> str:
        if not installed:
            return "not installed"
        return f"none (no view in {args.timeout:.0f} s)" if value is None else f"{value:.1f} s"

    print("| model | tfinspect | Netron | Model Explorer | tfinspect / faster anchor |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for model, ours, netron, explorer in rows:
        anchors = [v for v in (netron, explorer) if v is not None]
        ratio = f"{ours / min(anchors):.2f}" if ours is not None and anchors else "-"
        print(f"| `{model}` | {cell(ours)} | {cell(netron, bool(args.netron))} | "
              f"{cell(explorer, bool(args.model_explorer))} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
