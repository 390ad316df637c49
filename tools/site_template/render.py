"""The course site's theme: Jupyter Book's content (MyST AST per page) -> one static HTML page each.

Jupyter Book 2 (``jupyter-book build --html``) runs this as the site template's ``build.render``
command, with ``CONTENT_CDN`` (the URL of its content server: ``config.json``,
``content/<slug>.json`` and the output images) and ``BUILD_DIRECTORY`` (where the pages go). Jupyter
Book has done the work by then: parsed the notebooks' markdown, math and outputs, resolved links
between notebooks, written every figure to a file. This file only lays the AST out as HTML: a page
per notebook with a navigation bar.

Widgets: a page's JSON carries the notebook's saved widget state (``widgets``); each widget is drawn
in its last state, a line per control (``k = 3``) and what its output area showed (the figure).
Standard library only.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import sys
import urllib.request
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CONTROLS = (
    "Slider",
    "Dropdown",
    "Checkbox",
    "ToggleButton",
    "RadioButtons",
    "Select",
    "Text",
    "IntText",
    "FloatText",
)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
STYLE = """
body{font-family:system-ui,sans-serif;margin:0;display:flex;color:#222;line-height:1.5}
nav.xai-nav{width:16rem;flex:none;padding:1rem;background:#f6f6f6;border-right:1px solid #ddd;min-height:100vh;font-size:.9rem}
nav.xai-nav li{margin:.3rem 0} nav.xai-nav .current{font-weight:bold}
main{max-width:60rem;padding:1rem 2rem;overflow-x:auto}
pre{background:#f4f4f4;padding:.6rem;overflow-x:auto;font-size:.85rem}
pre.xai-code{border-left:3px solid #4c72b0} pre.xai-error{background:#fdecec}
.xai-output img{max-width:100%} table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:.2rem .5rem}
.katex-html{display:none} .xai-control{font-family:monospace;margin:.2rem 0}
"""


class Site:
    """Fetches from Jupyter Book's content server and writes files into the build directory."""

    def __init__(self, cdn: str, out: Path):
        self.cdn, self.out = cdn.rstrip("/"), out
        self.out.mkdir(parents=True, exist_ok=True)

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"{self.cdn}/{path.lstrip('/')}") as r:
            return r.read()

    def asset(self, path: str) -> str:
        """Copy a file Jupyter Book wrote (an output's figure) next to the pages; return its
        relative URL."""
        name = path.lstrip("/")
        target = self.out / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.get(name))
        return name


def page_href(url: str, slugs: set[str]) -> str:
    """An internal link (``/why-explain#part``) as a link between the static pages
    (``why-explain.html#part``)."""
    m = re.match(r"^/([^#?]*)(.*)$", url)
    if not m:
        return url
    slug = m.group(1) or "index"
    return f"{slug}.html{m.group(2)}" if slug in slugs else url


class Renderer:
    def __init__(self, site: Site, slugs: set[str], widgets: dict):
        self.site, self.slugs, self.widgets = site, slugs, widgets

    def children(self, node: dict) -> str:
        return "".join(self.node(c) for c in node.get("children", []))

    def node(self, n: dict) -> str:
        t, kids = n.get("type"), self.children
        esc = html.escape
        if t == "text":
            return esc(n.get("value", ""))
        if t == "root":
            return kids(n)
        if t == "block":
            return f'<section class="xai-cell">{kids(n)}</section>\n'
        simple = {
            "paragraph": "p",
            "emphasis": "em",
            "strong": "strong",
            "blockquote": "blockquote",
            "subscript": "sub",
            "superscript": "sup",
            "delete": "del",
            "underline": "u",
            "tableRow": "tr",
            "caption": "figcaption",
            "definitionList": "dl",
            "definitionTerm": "dt",
            "definitionDescription": "dd",
            "abbreviation": "abbr",
        }
        if t in simple:
            return f"<{simple[t]}>{kids(n)}</{simple[t]}>"
        if t == "heading":
            d = min(int(n.get("depth", 2)), 6)
            ident = f' id="{esc(n["html_id"])}"' if n.get("html_id") else ""
            return f"<h{d}{ident}>{kids(n)}</h{d}>"
        if t == "inlineCode":
            return f"<code>{esc(n.get('value', ''))}</code>"
        if t == "code":
            cls = "xai-code" if n.get("executable") else ""
            return f'<pre class="{cls}"><code>{esc(n.get("value", ""))}</code></pre>'
        if t in ("inlineMath", "math"):
            body = n.get("html") or esc(n.get("value", ""))
            return f'<div class="xai-math">{body}</div>' if t == "math" else body
        if t in ("link", "crossReference"):
            href = n.get("url", "") or ("#" + n.get("html_id", n.get("identifier", "")))
            href = (
                page_href(href, self.slugs) if n.get("internal") or href.startswith("/") else href
            )
            return f'<a href="{esc(href, quote=True)}">{kids(n)}</a>'
        if t == "image":
            src, source = n.get("url", ""), n.get("urlSource", "")
            if source.startswith(
                ("http://", "https://")
            ):  # a remote image (the badges): linked, not downloaded
                src = source
            elif src.startswith("/"):
                src = self.site.asset(src)
            return f'<img src="{esc(src, quote=True)}" alt="{esc(n.get("alt", "") or "")}">'
        if t == "list":
            tag = "ol" if n.get("ordered") else "ul"
            return f"<{tag}>{''.join(f'<li>{self.children(c)}</li>' for c in n.get('children', []))}</{tag}>"
        if t == "table":
            return f"<table>{kids(n)}</table>"
        if t == "tableCell":
            tag = "th" if n.get("header") else "td"
            return f"<{tag}>{kids(n)}</{tag}>"
        if t == "thematicBreak":
            return "<hr>"
        if t == "break":
            return "<br>"
        if t == "html":
            return n.get("value", "")
        if t in ("comment", "mystComment", "mystTarget", "footnoteDefinition"):
            return ""
        if t in ("admonition", "container", "div", "span", "aside", "details", "figure"):
            return f'<div class="xai-{t}">{kids(n)}</div>'
        if t == "admonitionTitle":
            return f"<p><strong>{kids(n)}</strong></p>"
        if t == "outputs":
            return f'<div class="xai-outputs">{kids(n)}</div>'
        if t == "output":
            return self.output(n.get("jupyter_data") or {}, from_myst=True)
        return kids(n) if n.get("children") else esc(n.get("value", ""))

    # ------------------------------------------------------------------ notebook outputs

    def output(self, out: dict, from_myst: bool) -> str:
        kind = out.get("output_type")
        if kind == "stream":
            return (
                "<pre "
                f'class="xai-output">{html.escape(ANSI.sub("", _text(out.get("text", ""))))}</pre>'
            )
        if kind == "error":
            tb = ANSI.sub("", "\n".join(out.get("traceback", [])))
            return f'<pre class="xai-output xai-error">{html.escape(tb)}</pre>'
        data = out.get("data", {})
        if WIDGET_VIEW in data:
            view = data[WIDGET_VIEW]
            view = (
                json.loads(view["content"])
                if isinstance(view, dict) and "content" in view
                else view
            )
            return (
                '<div class="xai-output '
                f'xai-widget">{self.widget(view.get("model_id", ""), set())}</div>'
            )
        for mime in ("image/png", "image/jpeg", "image/svg+xml"):
            if mime in data:
                return (
                    '<div class="xai-output"><img '
                    f'src="{html.escape(self.image(data[mime], mime), quote=True)}" '
                    'alt="figure"></div>'
                )
        if "text/html" in data:
            return f'<div class="xai-output">{self.text(data["text/html"])}</div>'
        if "text/markdown" in data:
            return f'<pre class="xai-output">{html.escape(self.text(data["text/markdown"]))}</pre>'
        if "text/plain" in data:
            return (
                "<pre "
                f'class="xai-output">{html.escape(ANSI.sub("", self.text(data["text/plain"])))}</pre>'
            )
        return ""

    def text(self, value) -> str:
        """A mime bundle's value: inline (``content``), in a file Jupyter Book wrote (``path``), or
        raw notebook text."""
        if isinstance(value, dict):
            if "content" in value:
                return value["content"]
            if "path" in value:
                return self.site.get(value["path"]).decode("utf-8")
        return _text(value)

    def image(self, value, mime: str) -> str:
        if isinstance(value, dict) and value.get("path"):
            return self.site.asset(value["path"])  # a file Jupyter Book wrote
        raw = _text(value)  # base64 in the notebook (figures inside widget state)
        if mime == "image/svg+xml":
            raw = base64.b64encode(raw.encode()).decode()
        return f"data:{mime};base64,{raw.strip()}"

    def widget(self, model_id: str, seen: set[str]) -> str:
        """A widget in its last state: a line per control and the outputs of its output areas."""
        state = self.widgets.get(WIDGET_STATE, {}).get("state", {})
        if model_id in seen or model_id not in state:
            return ""
        seen.add(model_id)
        name, st = state[model_id].get("model_name", ""), state[model_id].get("state", {})
        if name == "OutputModel":
            return "".join(self.output(o, from_myst=False) for o in st.get("outputs", []))
        if "children" in st:
            return "".join(
                self.widget(str(ref).removeprefix("IPY_MODEL_"), seen) for ref in st["children"]
            )
        if name == "HTMLModel" and st.get("value"):
            return st["value"]
        if any(c in name for c in CONTROLS) and "value" in st:
            value = st["value"]
            if "Range" in name and isinstance(value, list):
                value = f"{value[0]} – {value[1]}"
            label = st.get("description") or name.removesuffix("Model")
            what = "slider" if "Slider" in name else "control"
            return (
                f'<div class="xai-control"><code>{html.escape(str(label))} = '
                f"{html.escape(str(value))}</code> "
                f"<em>(a {what} you can move when you run the notebook)</em></div>"
            )
        return ""  # progress bars and other decorations


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def render_site(cdn: str, out: Path) -> list[Path]:
    site = Site(cdn, out)
    config = json.loads(site.get("config.json"))
    project = config["projects"][0]
    pages = [{"slug": project.get("index", "index"), "title": None}] + project.get("pages", [])
    contents = {
        p["slug"]: json.loads(site.get(f"content/{p['slug']}.json")) for p in pages if p.get("slug")
    }
    slugs = set(contents)
    titles = {s: c.get("frontmatter", {}).get("title") or s for s, c in contents.items()}
    written = []
    for slug, content in contents.items():
        body = Renderer(site, slugs, content.get("widgets") or {}).node(content["mdast"])
        nav = "".join(
            f'<li class="{"current" if s == slug else ""}"><a '
            f'href="{s}.html">{html.escape(titles[s])}</a></li>'
            for s in contents
        )
        title = html.escape(titles[slug])
        page = (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            '<meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><style>{STYLE}</style></head>\n'
            "<body><nav "
            f'class="xai-nav"><strong>{html.escape(project.get("title", ""))}</strong><ul>{nav}</ul></nav>\n'
            f"<main><h1>{title}</h1>\n{body}\n</main></body></html>\n"
        )
        path = out / f"{slug}.html"
        path.write_text(page, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    pages = render_site(os.environ["CONTENT_CDN"], Path(os.environ["BUILD_DIRECTORY"]))
    print(f"rendered {len(pages)} pages into {os.environ['BUILD_DIRECTORY']}", file=sys.stderr)
