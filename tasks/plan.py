"""What a run has to do: per source and target, translate it, skip it (unchanged since an earlier
run), or refuse it (its output name is unsafe or taken)."""

from __future__ import annotations

from babelflow.connectors.redact import redact
from babelflow.connectors.sinks import safe_relpath
from babelflow.connectors.sources import Source
from babelflow.documents import DocumentError
from babelflow.tasks.outputs import COUNTS, manifest_row
from babelflow.tasks.state import RunState


def plan(sources: list[Source], targets: list[str], state: RunState, engine_key: str, force: bool,
         listed: list[Source]) -> tuple[list[dict], dict[str, list[str]]]:
    """Manifest rows of the sources refused or skipped, and the targets each source still needs. Output
    names are checked among all `listed` sources, a --part run's and those of the other parts."""
    rows: list[dict] = []
    needed: dict[str, list[str]] = {}
    refused = _refused_names(listed)
    for source in sources:
        needed[source.url] = []
        for tgt in targets:
            done = None if force else state.unchanged(source, tgt, engine_key)
            if source.url in refused:
                rows.append(manifest_row(source.url, tgt, status="error", error=refused[source.url]))
            elif done:  # its counts are those of the run that wrote it, not this one's: null
                rows.append(manifest_row(source.url, tgt, status="skipped", output=done.output, seconds=None,
                                         **dict.fromkeys(COUNTS)))
            else:
                needed[source.url].append(tgt)
    return rows, needed


def _refused_names(sources: list[Source]) -> dict[str, str]:
    """Sources that are never read: their output name is unsafe, or an earlier source already has it."""
    refused: dict[str, str] = {}
    owners: dict[str, str] = {}
    for source in sources:
        if source.refused:
            refused[source.url] = redact(source.refused)
            continue
        try:
            safe_relpath(source.relpath)
        except DocumentError as exc:
            refused[source.url] = redact(str(exc))
            continue
        owner = owners.setdefault(source.relpath, source.url)
        if owner != source.url:
            refused[source.url] = redact(
                f"its output name {source.relpath!r} is also that of {owner}; translate them to separate destinations")
    return refused
