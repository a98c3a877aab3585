"""Translated parts into outputs: each (document, target) file built up part by part and committed
with the document's last part, its segments into the segments dataset, its manifest row kept."""

from __future__ import annotations

import time
from dataclasses import dataclass

from babelflow.connectors.redact import redact
from babelflow.documents import DocumentError, describe
from babelflow.tasks.parts import Part
from babelflow.tasks.protect import Protection
from babelflow.tasks.reassemble import reassemble
from babelflow.tasks.translator import Results
from babelflow.tasks.write import DocumentSink, SegmentsWriter


COUNTS = ("n_segments", "n_chars", "n_empty", "n_suspect", "n_cached", "n_spans_lost", "n_protected_lost",
          "n_glossary_hits")


def manifest_row(source: str, tgt: str, **values) -> dict:
    row = dict(source=source, doc_id=None, tgt_lang=tgt, src_lang=None, src_lang_by=None, status="ok", error=None,
               output=None, **dict.fromkeys(COUNTS, 0), seconds=0.0)
    row.update(values)
    return row


@dataclass
class _Output:
    sink: DocumentSink
    row: dict


class Outputs:
    """The outputs being written. Used as a context manager: those still open when the run stops
    (Ctrl-C, an internal error) are discarded, so no temporary file is left, locally or in the temp
    folder of an object-store upload."""

    def __init__(self, dest: str, writer: SegmentsWriter, on_suspect: str, protection: Protection) -> None:
        self.dest = dest
        self.writer = writer
        self.on_suspect = on_suspect
        self.protection = protection
        self.open: dict[tuple[str, str], _Output] = {}

    def __enter__(self) -> "Outputs":
        return self

    def __exit__(self, *exc) -> None:
        for out in self.open.values():
            out.sink.abort()

    def add(self, part: Part, results: Results, share: float) -> list[dict]:
        """Add one part to each target's output; a document's manifest rows come with its last part.
        `share` is the translation time per character of this part's group."""
        done: list[dict] = []
        for tgt in part.targets:
            out = self.open.get((part.source.url, tgt))
            if out is None:
                out = self.open[(part.source.url, tgt)] = _Output(
                    DocumentSink(self.dest, part.doc.relpath if part.doc else "", tgt),
                    manifest_row(part.source.url, tgt, doc_id=part.doc.doc_id if part.doc else None),
                )
            row = out.row
            if row["status"] == "ok":
                t0 = time.perf_counter()
                try:
                    if part.error:
                        raise DocumentError(part.error)
                    self._add(part, tgt, row, out.sink, results)
                except Exception as exc:
                    out.sink.abort()
                    row.update(status="error", error=redact(describe(exc)), output=None)
                row["seconds"] += part.seconds / len(part.targets) + share * sum(len(s.text) for s in part.segments)
                row["seconds"] += time.perf_counter() - t0
            if part.last:
                if row["status"] == "ok":
                    try:
                        row["output"] = out.sink.commit()
                    except Exception as exc:
                        row.update(status="error", error=redact(f"cannot write: {describe(exc)}"))
                done.append(self.open.pop((part.source.url, tgt)).row)
        return done

    def _add(self, part: Part, tgt: str, row: dict, sink: DocumentSink, results: Results) -> None:
        doc, segments = part.doc, part.segments
        keys = [(s.src_lang, tgt, s.source) for s in segments]
        problem = next((results.errors[k] for k in keys if k in results.errors), None)
        if problem:
            raise DocumentError(problem)
        restored = [self.protection.restore(s, results.translated[k], tgt) for s, k in zip(segments, keys)]
        outputs = [translation for translation, _, _ in restored]
        hits = [terms for _, _, terms in restored]
        reasons = [results.suspects.get(k) for k in keys]
        n_suspect = sum(r is not None for r in reasons)
        if n_suspect and self.on_suspect == "fail":
            reason, text = next((r, s.text) for r, s in zip(reasons, segments) if r)
            raise DocumentError(f"{n_suspect} suspect translations (first: {reason}, for {text[:60]!r});"
                                " --on-suspect keep or retry writes them")
        blocks, lost = reassemble(doc, segments, outputs)
        sink.add(doc, blocks)
        row["n_empty"] += self.writer.add_document(doc, segments, outputs, reasons, hits, tgt, row["n_segments"])
        row["src_lang"] = doc.src_lang or row["src_lang"]  # a corpus's dominant language, over its parts so far
        row["src_lang_by"] = doc.src_lang_by  # given, detected, fallback, none (no letters), mixed (corpus rows)
        row["n_segments"] += len(segments)
        row["n_chars"] += sum(len(s.text) for s in segments)
        row["n_suspect"] += n_suspect
        row["n_cached"] += sum(k in results.cached for k in keys)
        row["n_spans_lost"] += lost
        row["n_protected_lost"] += sum(repaired for _, repaired, _ in restored)
        row["n_glossary_hits"] += sum(map(len, hits))
