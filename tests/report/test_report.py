"""The HTML report: self-contained, escaped, and rendered by headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import write_ac_dump
from trajdiv import analyze
from trajdiv.report import esc

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    '<a href="javascript:alert(3)">click</a>',
    "</textarea><svg onload=alert(4)>",
    "\u202eevil\u202c direction override",
    "</code></td></tr></table><iframe src=//evil.test>",
]


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((k, v or "") for k, v in attrs)


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("headless Chromium is not installed (.ci/run installs it)")
    return exe


def _chrome(*args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    return subprocess.run(
        [_chromium(), *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    dump = root / "dump"
    runs = [["ls", p, "pytest"] for p in PAYLOADS[:3]] + [["ls", p] for p in PAYLOADS[3:]]
    write_ac_dump(
        dump, "evil<b>", {"task<img src=x onerror=alert(9)>": runs}, model='model"><script>alert(5)</script>'
    )
    out = root / "out"
    analyze([dump], out, jobs=1)
    return out


def test_report_is_self_contained(analysis: Path):
    html = (analysis / "report.html").read_text()
    assert "<script" not in html.lower()
    urls = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]+)""", html)
    assert urls
    assert all(u.startswith("data:image/png;base64,") for u in urls)
    assert "url(" not in html  # no CSS loads either
    assert "Content-Security-Policy" in html


def test_report_holds_headline_and_drilldown(analysis: Path):
    html = (analysis / "report.html").read_text()
    assert "claude-sonnet-4-5-20250929" in html
    assert html.count("<details>") >= 30
    assert "first divergence (normalized level) at step" in html
    assert html.count("<img") >= 7


def test_payloads_are_text_not_markup(hostile: Path):
    html = (hostile / "report.html").read_text()
    dom = _Dom()
    dom.feed(html)
    assert "script" not in dom.tags
    assert "iframe" not in dom.tags
    assert "svg" not in dom.tags
    assert not [k for k, _ in dom.attrs if k.startswith("on")]
    assert not [v for _, v in dom.attrs if "javascript:" in v.lower()]
    assert esc(PAYLOADS[0]) in html
    assert "\u202e" not in html


def test_chromium_renders_report_and_dom_has_nothing_from_the_dump(hostile: Path, tmp_path: Path):
    page = (hostile / "report.html").resolve().as_uri()
    dom_out = _chrome("--dump-dom", page)
    assert dom_out.returncode == 0, dom_out.stderr[-2000:]
    dom = _Dom()
    dom.feed(dom_out.stdout)
    assert "script" not in dom.tags
    assert "iframe" not in dom.tags
    assert not [k for k, _ in dom.attrs if k.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom_out.stdout
    shot = tmp_path / "shot.png"
    r = _chrome(f"--screenshot={shot}", "--window-size=1300,1600", page)
    assert r.returncode == 0, r.stderr[-2000:]
    assert shot.read_bytes()[:4] == b"\x89PNG"


def test_chromium_screenshot_of_real_report(analysis: Path, tmp_path: Path):
    shot = tmp_path / "report.png"
    r = _chrome(
        f"--screenshot={shot}", "--window-size=1300,2400", (analysis / "report.html").resolve().as_uri()
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert shot.stat().st_size > 50_000  # the table and plots drew something


def test_summary_schema(analysis: Path):
    s = json.loads((analysis / "summary.json").read_text())
    assert s["version"] == 1
    c = s["configs"][0]
    assert set(c["first_divergence"]) >= {
        "exact",
        "normalized",
        "verb",
        "category",
        "phase",
        "token_pct_median",
    }
    assert set(c["strategies"]) >= {"mean_n_strategies", "consistent_wrong"}


def test_svg_plots_of_hostile_dump_are_well_formed_and_inert(hostile: Path):
    import xml.etree.ElementTree as ET

    svgs = list((hostile / "plots").glob("*.svg"))
    assert svgs
    for svg in svgs:
        root = ET.parse(svg).getroot()  # well-formed: dump text cannot break out of it
        tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
        assert "script" not in tags
        assert "foreignObject" not in tags
        for el in root.iter():
            assert not [k for k in el.attrib if k.lower().startswith("on")]
