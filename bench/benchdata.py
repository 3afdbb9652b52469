"""Where the shared dev sets are: $ARCHIVER_BENCHDATA, else ../shared/benchdata beside
the checkout. Every bench's --data default and the tests that read the sets use this."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA = Path(os.environ.get("ARCHIVER_BENCHDATA") or Path(__file__).resolve().parents[2] / "shared" / "benchdata")
