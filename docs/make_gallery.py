"""Regenerate the images of docs/pages/gallery.md.

Needs TensorFlow (to export the Keras models, in child processes), Graphviz's ``dot``,
and for the HTML screenshot Debian's ``chromium`` and ``chromium-driver`` with the
``selenium`` package.  Run from the repository root:

    python docs/make_gallery.py [--cache DIR]

The Keras CNN and ResNet50 (``weights=None``: nothing is downloaded) are exported
into ``--cache`` (default ``bench/.cache``) once and reused.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "pages" / "images" / "gallery"
CNN = """
import sys
import keras
keras.utils.set_random_seed(0)
inputs = keras.Input(shape=(28, 28, 1), name="image")
x = keras.layers.Conv2D(16, 3, activation="relu", name="conv1")(inputs)
x = keras.layers.MaxPooling2D(name="pool1")(x)
x = keras.layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
x = keras.layers.MaxPooling2D(name="pool2")(x)
x = keras.layers.Flatten(name="flatten")(x)
x = keras.layers.Dropout(0.25, name="dropout")(x)
outputs = keras.layers.Dense(10, activation="softmax", name="digits")(x)
keras.Model(inputs, outputs, name="mnist_cnn").export(sys.argv[1])
"""
RESNET = """
import sys
import keras
keras.applications.ResNet50(weights=None).export(sys.argv[1])
"""


def export(script: str, target: Path) -> Path:
    if not (target / "saved_model.pb").is_file():
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        subprocess.run([sys.executable, "-c", script, str(target)], check=True, env=env,
                       capture_output=True)
    return target


def graph(*args: str) -> None:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "inspector", "graph", *args], cwd=ROOT, check=False,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"tfinspect graph {' '.join(args)} failed: {done.stderr}")
    print(f"{time.perf_counter() - start:5.1f} s  tfinspect graph {' '.join(args)}")


def shrink(image: Path, width: int = 3600) -> None:
    """Scale a wide PNG down and reduce it to 32 colours (with Pillow, when it is installed)."""
    try:
        from PIL import Image
    except ImportError:
        print(f"        {image.name} left at full size: pip install pillow to shrink it")
        return
    picture = Image.open(image).convert("RGB")
    picture.thumbnail((width, width))
    picture.quantize(colors=32).save(image, optimize=True)


def screenshot(page: Path, target: Path, search: str) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--window-size=1200,760", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(page.as_uri())
            WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.body.dataset.ready"))
            driver.find_element(By.ID, "search").send_keys(search)
            driver.find_elements(By.CSS_SELECTOR, "#results .result")[0].click()
            target.write_bytes(driver.get_screenshot_as_png())
        finally:
            driver.quit()
    print(f"        screenshot {target.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / ".cache")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    IMAGES.mkdir(parents=True, exist_ok=True)
    cnn = export(CNN, args.cache / "mnist_cnn_export")
    resnet = export(RESNET, args.cache / "resnet50_export")
    seed = ROOT / "fixtures" / "seed000" / "exported_model"
    graph(str(ROOT / "fixtures" / "seed003" / "SavedModel"), "-o", str(IMAGES / "seed003_default.png"))
    graph(str(ROOT / "fixtures" / "seed002" / "model.meta"), "-o", str(IMAGES / "seed002_default.png"))
    corpus = Path(os.environ.get("TFINSPECT_CORPUS", ROOT.parent / "shared" / "corpus"))
    training = corpus / "tfx" / "estimator_training" / "graph.pbtxt"
    if training.exists():  # the real-export corpus, where it is checked out
        graph(str(training), "-o", str(IMAGES / "tfx_training_default.png"))
        shrink(IMAGES / "tfx_training_default.png")  # a wide graph: keep the page light
    graph(str(seed), "--signature", "serving_default", "--depth", "1", "-o", str(IMAGES / "seed000_serving.png"))
    graph(str(cnn), "-o", str(IMAGES / "keras_cnn_layers.png"))
    graph(str(cnn), "--depth", "2", "--scope", "conv1", "-o", str(IMAGES / "keras_cnn_conv1_ops.png"))
    graph(str(resnet), "--scope", "conv2_block1", "-o", str(IMAGES / "resnet50_conv2_block1.png"))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "resnet50.html"
        graph(str(resnet), "-o", str(page))
        screenshot(page, IMAGES / "html_view_resnet50.png", "conv2_block1_0_conv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
