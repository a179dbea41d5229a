"""Stage 1, the Research Scout (see `scout.research`).

Modules: `refs` (parse pasted Hub references), `uploads` (check uploaded/pasted text), `card`
(front matter and body), `condense` (fit the card to the prompt budget), `quality` (score the
card), `metadata` and `references` (facts and links), `hub` and `cache` (Hub access with a JSON
file cache), `config` (settings), `snapshot` (the persisted result).
"""
