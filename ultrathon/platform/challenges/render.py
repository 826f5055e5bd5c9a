"""Safe Markdown: organisers' descriptions rendered so no HTML of theirs ever runs."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Tags Markdown itself produces; anything else in the output can only be a parser slip.
_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img",
    "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "sup", "sub",
}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
# A table column's alignment as a class, not a style attribute: the pages' CSP allows no inline style.
_ALIGN_CLASSES = {f"text-align:{side}": f"align-{side}" for side in ("left", "center", "right")}
_CLASSES = {"th": set(_ALIGN_CLASSES.values()), "td": set(_ALIGN_CLASSES.values())}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False turns raw HTML in the file into visible text; tables are common in data dictionaries.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(["table", "strikethrough"])


def render_markdown(text: str, *, heading_offset: int = 0) -> Markup:
    """Return Markdown as HTML safe to put in a page, headings moved down by heading_offset levels."""
    parser = _parser()
    tokens = parser.parse(text or "")
    if heading_offset:
        # The page has its own h1; the file's "# Title" becomes an h2 under it.
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(6, int(token.tag[1]) + heading_offset)}"
    for token in tokens:
        if token.type in ("th_open", "td_open") and token.attrs:
            style = token.attrs.pop("style", None)
            if style in _ALIGN_CLASSES:
                token.attrSet("class", _ALIGN_CLASSES[style])
    html = parser.renderer.render(tokens, parser.options, {})
    # nh3 is the second guard: even if the parser let something through, no script or handler survives.
    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        allowed_classes=_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)
