"""One module per file type: `parse(data, options) -> Parsed` and `render(doc, blocks, tgt) -> bytes`.

`render` gets, for each block of the parsed document, its translation as a Block (text and the spans
projected onto it), or None for a block that was not translated; `tgt` is the target language (babelflow.languages code).

Corpus formats (STREAMING) are read and written in parts instead, so that a corpus of any size is
processed in flat memory: `read_parts(file, options) -> Iterator[Parsed]` and a `Writer(file, tgt)`
with `write(part, blocks)` and `close()`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from babelflow.documents import Block

@dataclass(frozen=True)
class FormatOptions:
    text_column: str = "text"
    lines: bool = False  # plain text: a block per line (a monolingual corpus), not per paragraph


@dataclass
class Parsed:
    blocks: list[Block]
    skeleton: Any = None


def module(fmt: str) -> ModuleType:
    return importlib.import_module(f"babelflow.tasks.formats.{fmt}")
