"""The JSON files beside a Hugging Face `save_to_disk` dataset: `dataset_info.json` gains the new
column's feature, `state.json` and `dataset_dict.json` are copied, so `load_from_disk` opens the output."""

from __future__ import annotations

import json

from babelflow.documents import Block, Document, DocumentError
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.table import output_column


def parse(data: bytes, options: FormatOptions) -> Parsed:
    try:
        content = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DocumentError(f"invalid JSON: {exc}") from exc
    if not isinstance(content, dict) or not ({"features", "_data_files", "splits"} & set(content)):
        raise DocumentError("unsupported JSON: babelflow reads only Hugging Face dataset metadata"
                            " (dataset_info.json, state.json, dataset_dict.json) beside .arrow files")
    return Parsed([], (content, data, options.text_column))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    content, data, column = doc.skeleton
    if not isinstance(content.get("features"), dict):
        return data
    features = {**content["features"], output_column(column, tgt): {"dtype": "string", "_type": "Value"}}
    return json.dumps({**content, "features": features}, indent=2).encode() + b"\n"
