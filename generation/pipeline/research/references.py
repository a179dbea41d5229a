"""The references a manual cites, gathered deterministically from the model's metadata and card.

They end up as links in a notebook people open, so only plain http(s) URLs pass, each URL once,
in a fixed order (by kind, then URL).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from generation.pipeline.research.snapshot import Reference

KIND_ORDER = ("model", "docs", "license", "base_model", "paper", "code", "other")
# Well-known licence ids whose text lives at a stable address.
LICENSE_URLS = {
    "apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    "mit": "https://opensource.org/license/mit",
    "bsd-3-clause": "https://opensource.org/license/bsd-3-clause",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nc-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "gpl-3.0": "https://www.gnu.org/licenses/gpl-3.0.html",
    "openrail": "https://www.licenses.ai/",
    "llama3": "https://www.llama.com/llama3/license/",
    "gemma": "https://ai.google.dev/gemma/terms",
}
_ARXIV_TAG = re.compile(r"^arxiv:(.+)$", re.IGNORECASE)
_ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?$", re.IGNORECASE)
_ARXIV_LINK = re.compile(r"https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})", re.I)
_GITHUB_LINK = re.compile(
    r"https?://(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/([A-Za-z0-9_.-]+)"
)
_GITHUB_NOT_REPOS = {"orgs", "features", "settings", "topics", "apps", "marketplace", "sponsors", "login", "about"}
_REPO_ID = re.compile(
    r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:/[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)?$"
)


def model_page(site: str, repo_id: str) -> Reference:
    return Reference(title=f"{repo_id} on Hugging Face", url=f"{site}/{repo_id}", kind="model")


def license_reference(
    licence: str, link: str, *, site: str, repo_id: str = "", revision: str = "", files: set[str] | None = None
) -> Reference | None:
    """The licence text: the card's `license_link`, a known licence page, or the repo's LICENSE."""
    title = f"License: {licence or 'see link'}"
    if link:
        if urlsplit(link).scheme:
            return Reference(title=title, url=link, kind="license")
        if repo_id:  # a path inside the repo, e.g. `LICENSE`
            return Reference(title=title, url=f"{site}/{repo_id}/blob/{revision}/{link.lstrip('./')}", kind="license")
    if licence.lower() in LICENSE_URLS:
        return Reference(title=title, url=LICENSE_URLS[licence.lower()], kind="license")
    for name in ("LICENSE", "LICENSE.md", "LICENSE.txt"):
        if repo_id and files and name in files:
            return Reference(title=title, url=f"{site}/{repo_id}/blob/{revision}/{name}", kind="license")
    return None


def base_model_references(site: str, base_models: list[str]) -> list[Reference]:
    return [
        Reference(title=f"Base model: {base}", url=f"{site}/{base}", kind="base_model")
        for base in base_models
        if _REPO_ID.match(base)
    ]


def paper_references(tags: list[str], text: str) -> list[Reference]:
    """arXiv papers from `arxiv:<id>` tags and arxiv.org links in the card."""
    ids = [m.group(1) for tag in tags if (m := _ARXIV_TAG.match(tag))]
    ids += [m.group(1) for m in _ARXIV_LINK.finditer(text)]
    found = []
    for paper in ids:
        paper = re.sub(r"v\d+$", "", paper.strip())
        if _ARXIV_ID.match(paper):
            found.append(Reference(title=f"arXiv:{paper}", url=f"https://arxiv.org/abs/{paper}", kind="paper"))
    return found


def code_references(text: str) -> list[Reference]:
    """GitHub repositories linked from the card, as their repository root."""
    found = []
    for match in _GITHUB_LINK.finditer(text):
        owner, repo = match.group(1), match.group(2).removesuffix(".git").rstrip(".")
        if owner.lower() in _GITHUB_NOT_REPOS or not repo:
            continue
        found.append(Reference(title=f"GitHub: {owner}/{repo}", url=f"https://github.com/{owner}/{repo}", kind="code"))
    return found


def finalize(references: list[Reference | None]) -> list[Reference]:
    """Keep safe http(s) URLs only, each once (first title wins), sorted by kind then URL."""
    seen: dict[str, Reference] = {}
    for reference in references:
        if reference is None or not is_safe_url(reference.url):
            continue
        seen.setdefault(reference.url.rstrip("/"), reference)
    return sorted(seen.values(), key=lambda r: (KIND_ORDER.index(r.kind), r.url))


def is_safe_url(url: str) -> bool:
    """An absolute http(s) URL with a host and no characters that could break out of a link."""
    if not url or any(ch.isspace() or ch in "<>\"'`\\" or ord(ch) < 32 for ch in url):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False
