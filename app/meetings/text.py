"""Minutes and summaries: Markdown rendered to HTML, then cleaned to an allow-list of tags."""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

HEADING = re.compile(r"<(/?)h([1-5])>")
TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "blockquote",
    "code",
    "pre",
    "a",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


@lru_cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


@lru_cache(maxsize=64)
def render(markdown: str) -> Markup:
    """Sanitised HTML: raw HTML in the source is shown as text, links keep only http(s) and mailto. The texts read
    most (a meeting's minutes and summary, on every view of its page) are kept rendered."""
    # The page has its own <h1>: the text's headings start one level below.
    html = HEADING.sub(lambda found: f"<{found.group(1)}h{int(found.group(2)) + 1}>", _parser().render(markdown))
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - cleaned by nh3 to the allow-list above
