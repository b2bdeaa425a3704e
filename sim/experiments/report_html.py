"""`sim report DIR --html`: report.md as one self-contained HTML file an analyst can e-mail.

The figures are embedded as base64 ``data:`` URIs and the style sheet is inline, so the file
opens anywhere, offline, without asking any other address for anything.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import markdown

from sim.errors import ConfigError
from sim.experiments.store import _atomic_write

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1, h2, h3 { line-height: 1.2; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; display: block;
        overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; height: auto; display: block; margin: 1em 0; }
code { background: #f3f3f3; padding: 0 0.2em; border-radius: 3px; }
"""

_IMAGE = re.compile(r'(<img\b[^>]*\bsrc=")([^"]+)(")')


def to_html(text: str, folder: Path, title: str) -> str:
    """The HTML page of a markdown report whose images are files under ``folder``."""
    body = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")

    def embed(match: re.Match) -> str:
        source = match.group(2)
        path = (folder / source).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            raise ConfigError(f"{folder}: the report shows {source}, which is not in the folder "
                              "(run `sim report` on the folder again)")
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{match.group(1)}data:image/png;base64,{data}{match.group(3)}"

    body = _IMAGE.sub(embed, body)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def write_html(report: Path) -> Path:
    """Write ``report.html`` beside ``report.md`` (figures embedded); return its path."""
    report = Path(report)
    text = report.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text else ""
    title = first.lstrip("# ").strip() or "Report"
    path = report.with_suffix(".html")
    _atomic_write(path, to_html(text, report.parent, title).encode("utf-8"))
    return path
