"""What `pseudo` makes of translatable text now that protected spans reach no engine: every ASCII letter
changed except in URLs, addresses, paths, handles, hashtags and template placeholders (tasks/protect)."""

from __future__ import annotations

from babelflow.config import PROTECTED
from babelflow.tasks.engines.pseudo import pseudo
from babelflow.tasks.protect import Protection

_PROTECTION = Protection(list(PROTECTED))


def _spans(text: str) -> list[tuple[int, int]]:
    return _PROTECTION.find(text, "en_XX")


def pseudo_kept(text: str) -> str:
    """`text` as a pseudo run with the default protection writes it (a text node, or a block)."""
    out, pos = [], 0
    for start, end in _spans(text):
        out += [pseudo(text[pos:start]), text[start:end]]
        pos = end
    return "".join(out) + pseudo(text[pos:])


def pseudo_or_kept(source: str, output: str) -> bool:
    """Whether `output` is `source` with every ASCII letter changed as pseudo does, but letters that lie in
    a protected span, which may stay (a span that markup starts or ends inside is translated)."""
    if len(source) != len(output):
        return False
    kept = protected_positions(source)
    changed = pseudo(source)
    return all(o == c or (o == s and i in kept) for i, (s, o, c) in enumerate(zip(source, output, changed)))


def protected_positions(text: str) -> set[int]:
    """Offsets of `text` inside protected spans: letters a pseudo run may leave there."""
    return {i for start, end in _spans(text) for i in range(start, end)}


def unprotected(text: str) -> str:
    """`text` without its protected spans."""
    out, pos = [], 0
    for start, end in _spans(text):
        out += [text[pos:start], " "]
        pos = end
    return "".join(out) + text[pos:]
