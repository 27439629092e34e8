"""`graph -o model.html`, opened in a real headless Chromium (Debian's chromium + chromedriver)."""

from __future__ import annotations

import base64
import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import ROOT, fixture, run_cli
from test_graph_layers import keras_facts

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists() and shutil.which("dot"))
    and os.environ.get("CI") != "true",
    reason="needs chromium, chromium-driver and Graphviz (apt-get install chromium chromium-driver graphviz)")

SCREENSHOTS = Path(os.environ.get("TFINSPECT_SCREENSHOTS", ROOT / "build" / "screenshots"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def open_page(browser, page: Path):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page.as_uri())
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.body.dataset.ready"))
    return browser


def node(browser, key: str):
    from selenium.webdriver.common.by import By

    found = [g for g in browser.find_elements(By.CSS_SELECTOR, "#canvas g.node")
             if g.get_attribute("data-key") == key]
    assert found, f"no drawn box {key!r}"
    return found[0]


def coloured_pixels(browser, png: bytes, colour: tuple[int, int, int]) -> int:
    """Look at the screenshot itself: how many of its pixels have this fill colour."""
    script = """
      const [src, rgb, done] = arguments;
      const img = new Image();
      img.onload = function () {
        const c = document.createElement("canvas");
        c.width = img.width; c.height = img.height;
        const ctx = c.getContext("2d");
        ctx.drawImage(img, 0, 0);
        const px = ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4)
          if (Math.abs(px[i] - rgb[0]) < 4 && Math.abs(px[i + 1] - rgb[1]) < 4 && Math.abs(px[i + 2] - rgb[2]) < 4) n++;
        done(n);
      };
      img.src = src;
    """
    return browser.execute_async_script(script, "data:image/png;base64," + base64.b64encode(png).decode(),
                                        list(colour))


def test_keras_layers_page(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    facts = {layer["name"]: layer for layer in keras_facts(
        "small", str(fixture("keras_files", "model.keras")), str(fixture("tf2_module")))["layers"]}
    page = tmp_path / "keras.html"
    result = run_cli("graph", str(fixture("keras_export")), "-o", str(page))
    assert result.code == 0, result.err
    text = page.read_text()
    assert "<script src" not in text and "<link" not in text and "@import" not in text
    open_page(browser, page)
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    # The page renders: one box per Keras layer.
    drawn = {g.get_attribute("data-key") for g in browser.find_elements(By.CSS_SELECTOR, "#canvas g.node")}
    assert {"hidden", "probabilities"} <= drawn

    # Search by op type finds the layer that holds it; clicking the hit shows its details.
    browser.find_element(By.ID, "search").send_keys("Softmax")
    hits = browser.find_elements(By.CSS_SELECTOR, "#results .result")
    assert [h.text for h in hits] and hits[0].text.startswith("probabilities")
    hits[0].click()  # the op's level (its layer) opens, with the op marked and its details shown
    panel = browser.find_element(By.ID, "details").text
    assert panel.splitlines()[0] == "probabilities/Softmax" and "op: Softmax" in panel
    assert node(browser, "probabilities/Softmax").get_attribute("class") == "node hit"
    browser.find_elements(By.CSS_SELECTOR, "#crumbs button")[0].click()
    ActionChains(browser).click(node(browser, "probabilities")).perform()
    panel = browser.find_element(By.ID, "details").text
    assert panel.splitlines()[0] == "probabilities"
    for path, spec in facts["probabilities"]["weights"]:
        assert f"{path.removeprefix('probabilities/')}: {spec}" in panel
    assert facts["hidden"]["output"] in panel  # its input, as Keras shapes the hidden layer's output

    # Clicking a box shows its ops with their inputs' and outputs' dtypes and shapes.
    ActionChains(browser).click(node(browser, "hidden")).perform()
    panel = browser.find_element(By.ID, "details").text
    assert panel.splitlines()[0] == "hidden" and "MatMul" in panel and "Relu" in panel
    assert facts["hidden"]["output"] in panel and "features:0 float32[?,4]" in panel

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = browser.get_screenshot_as_png()
    (SCREENSHOTS / "keras_layers.png").write_bytes(shot)
    assert coloured_pixels(browser, shot, (0xc9, 0xda, 0xf8)) > 2000  # the layer boxes' fill is on screen

    # Expand a layer into its ops, then collapse back.
    ActionChains(browser).double_click(node(browser, "hidden")).perform()
    inner = {g.get_attribute("data-key") for g in browser.find_elements(By.CSS_SELECTOR, "#canvas g.node")}
    assert {"hidden/MatMul", "hidden/BiasAdd", "hidden/Relu"} <= inner
    crumbs = browser.find_elements(By.CSS_SELECTOR, "#crumbs button")
    assert len(crumbs) == 2
    crumbs[0].click()
    assert "probabilities" in {g.get_attribute("data-key")
                               for g in browser.find_elements(By.CSS_SELECTOR, "#canvas g.node")}


def test_tf1_scopes_page(browser, tmp_path):
    from selenium.webdriver.common.by import By

    page = tmp_path / "seed002.html"
    assert run_cli("graph", str(fixture("seed002", "model.meta")), "--depth", "1", "-o", str(page)).code == 0
    open_page(browser, page)
    browser.find_element(By.ID, "search").send_keys("Placeholder_1")
    hits = browser.find_elements(By.CSS_SELECTOR, "#results .result")
    assert hits and "inputs/Placeholder_1" in hits[0].text
    hits[0].click()  # it lives inside the collapsed `inputs` scope: its level opens
    panel = browser.find_element(By.ID, "details").text
    assert panel.splitlines()[0] == "inputs/Placeholder_1" and "op: Placeholder" in panel
    assert ":0 float64[?,?]" in panel
    assert len(browser.find_elements(By.CSS_SELECTOR, "#crumbs button")) == 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "seed002_scope.png").write_bytes(browser.get_screenshot_as_png())


def test_hostile_names_stay_text(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from inspector import protos

    graph = protos.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    from helpers.proto_edits import rename_node

    hostile = '<img src=x onerror="document.title=1">\x1b[31m'
    rename_node(graph, "x", hostile)
    source = tmp_path / "hostile.pb"
    source.write_bytes(graph.SerializeToString())
    page = tmp_path / "hostile.html"
    assert run_cli("graph", str(source), "-o", str(page)).code == 0
    open_page(browser, page)
    assert not browser.find_elements(By.TAG_NAME, "img") and browser.title != "1"
    shown = '<img src=x onerror="document.title=1">\\x1b[31m'  # ESC made visible
    browser.find_element(By.ID, "search").send_keys("<img")
    hits = browser.find_elements(By.CSS_SELECTOR, "#results .result")
    assert hits and hits[0].text.startswith(shown)
    hits[0].click()
    assert browser.find_element(By.ID, "details").text.splitlines()[0] == shown
    assert "\x1b" not in page.read_text()


def replicated_graph(path: Path, copies: int) -> int:
    """seed002's training graph copied ``copies`` times under scopes ``replica_N``: a big real pattern."""
    from inspector import protos

    base = protos.MetaGraphDef.FromString(fixture("seed002", "model.meta").read_bytes()).graph_def
    graph = protos.GraphDef()
    for i in range(copies):
        for original in base.node:
            node = graph.node.add()
            node.CopyFrom(original)
            node.name = f"replica_{i}/{original.name}"
            del node.input[:]
            node.input.extend(("^" if t.startswith("^") else "") + f"replica_{i}/{t.lstrip('^')}"
                              for t in original.input)
    path.write_bytes(graph.SerializeToString())
    return len(graph.node)


def test_fifty_thousand_node_page_opens_levels_and_finds_nodes_quickly(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    big, half = tmp_path / "big.pb", tmp_path / "half.pb"
    assert replicated_graph(big, 556) > 50_000
    replicated_graph(half, 278)
    page, half_page = tmp_path / "big.html", tmp_path / "half.html"
    assert run_cli("graph", big, "--all", "-o", page).code == 0
    assert run_cli("graph", half, "--all", "-o", half_page).code == 0
    # The page carries data, not drawings: its size grows with the graph, linearly.
    ratio = page.stat().st_size / half_page.stat().st_size
    assert 1.9 < ratio < 2.1, ratio

    start = time.perf_counter()
    browser.get(page.as_uri())
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.body.dataset.ready"))
    opened = time.perf_counter() - start
    assert opened < 3, f"the page took {opened:.2f} s to show its first level"
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    top = browser.find_elements(By.CSS_SELECTOR, "#canvas g.node")
    assert 1 < len(top) <= 300  # 556 scopes do not fit one level: they are grouped by name

    # Opening a box lays out its level in the page.
    took = browser.execute_script("""
        const box = document.querySelector('#canvas g.group');
        const t = performance.now();
        box.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));
        return performance.now() - t;""")
    assert took < 1000, f"opening a box took {took:.0f} ms"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#crumbs button")) == 2

    # Search jumps to a node deep inside, opening its parents.
    browser.find_element(By.ID, "search").send_keys("replica_500/loss/Square")
    hits = browser.find_elements(By.CSS_SELECTOR, "#results .result")
    assert hits and hits[0].text.startswith("replica_500/loss/Square")
    start = time.perf_counter()
    hits[0].click()
    assert time.perf_counter() - start < 1
    crumbs = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#crumbs button")]
    assert crumbs[0] == "top" and crumbs[-2:] == ["replica_500", "loss"], crumbs
    assert node(browser, "replica_500/loss/Square").get_attribute("class") == "node hit"
    assert browser.find_element(By.ID, "details").text.splitlines()[0] == "replica_500/loss/Square"
