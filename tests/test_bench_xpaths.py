"""bench/xpaths.py runs the three forms of trafilatura's regex XPaths over dev pages and
finds that they select the same elements (timings are printed, never asserted)."""

import pytest

from bench.xpaths import main
from tests.conftest import BENCHDATA as DATA


def test_the_guarded_forms_select_what_trafilaturas_select_on_dev_pages(capsys):
    if not list(DATA.glob("*/html/*.html.gz"))[:1]:
        pytest.skip(f"the shared dev sets are not beside the checkout ({DATA})")
    assert main(["--data", str(DATA), "--limit", "12", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "same elements selected in every form" in out
    assert "presence + literals" in out


def test_no_pages_is_an_error(tmp_path, capsys):
    assert main(["--data", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("Error: no pages under")
