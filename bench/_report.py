"""Write one benchmark's section of docs/benchmarks.md, leaving the other sections alone."""

from __future__ import annotations

import platform
import re
from datetime import datetime
from pathlib import Path

DOC = Path(__file__).parents[1] / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Figures printed by `make bench` on this project's reference machine (2 cores, 24 GiB; the machine
may be shared, so times are upper bounds). Each section is rewritten by its benchmark script;
targets come from `../shared/design.md` and the issues. Tests never assert wall-clock times.
"""


def write_section(name: str, body: str) -> None:
    """Replace the section between `<!-- bench:NAME -->` markers (or append it)."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    stamp = f"_Measured {datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()}._\n"
    block = f"<!-- bench:{name} -->\n{body.rstrip()}\n\n{stamp}<!-- /bench:{name} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = (
        pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    )
    DOC.write_text(text, encoding="utf-8")
