"""An HTML check for the XSS tests: nothing in the markup can run script.

Payload text may still be *shown* (escaped, as `&lt;img onerror=...&gt;`); what must never
appear is an element or attribute that a browser would act on.
"""

from __future__ import annotations

from html.parser import HTMLParser

ACTIVE_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "form", "base", "link", "meta"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "data"}


class _Collector(HTMLParser):
    def __init__(self, allow: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allow = allow
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS and tag not in self.allow:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"inline style on <{tag}>")
            if name in URL_ATTRIBUTES and value:
                cleaned = "".join(value.split()).lower()
                if cleaned.startswith(("javascript:", "vbscript:")) or (
                    cleaned.startswith("data:") and not cleaned.startswith(("data:image/png;", "data:image/jpeg;"))
                ):
                    self.problems.append(f"{name}={value[:40]!r} on <{tag}>")


def active_markup(html: str, *, allow: tuple[str, ...] = ()) -> list[str]:
    """Elements and attributes in `html` that could run script or restyle the page."""
    collector = _Collector(frozenset(allow))
    collector.feed(str(html))
    collector.close()
    return collector.problems


def assert_inert(html: str, *, allow: tuple[str, ...] = ()) -> None:
    assert "<script" not in str(html).lower()
    assert active_markup(html, allow=allow) == []


def main_of(page: str) -> str:
    """The `<main>` element of a page: where untrusted content is shown."""
    start = page.index("<main")
    return page[start : page.index("</main>", start) + len("</main>")]
