"""`babelflow` command line. Heavy imports happen inside the commands, so `--help` is instant."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from babelflow.config import DEFAULT_MODEL, ConfigError
from babelflow.languages import MBART50, UnsupportedLanguage, iso, to_mbart
from babelflow.connectors.redact import redact

USAGE_ERROR = 2
INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="babelflow", description="Batch document translation with open models.")
    sub = parser.add_subparsers(dest="command", required=True)

    tr = sub.add_parser("translate", help="translate documents and corpora")
    tr.add_argument("sources", nargs="*", metavar="SOURCE", help="files, directories (recursive) or globs")
    tr.add_argument("--to", help="target languages, comma separated: fr,de or fr_XX,de_DE")
    tr.add_argument("--out", help="destination folder")
    tr.add_argument("--from", dest="src_lang", help="source language, or 'auto' (default) to detect per document")
    tr.add_argument("--engine", help="mbart (default), ct2 (CTranslate2, pip install babelflow[ct2]), pseudo or identity")
    tr.add_argument("--model", help=f"hub id or local directory (default: {DEFAULT_MODEL})")
    tr.add_argument("--config", help="YAML run config; command-line options override it")
    tr.add_argument("--workers", type=int, help="worker processes, each loading the model once (default: one per visible GPU, else 1)")
    tr.add_argument("--text-column", help="text column of Parquet/JSONL/CSV corpora (default: text)")
    tr.add_argument("--beams", type=int, help="beam size (default: 1, greedy)")
    tr.add_argument("--max-batch-tokens", type=int, help="padded tokens per model batch (default: 8192)")
    tr.add_argument("--device", help="auto (default), cpu, cuda, cuda:1, ...")
    tr.add_argument("--cache", help="translation cache folder or URL (default: DEST/.babelflow/cache)")
    tr.add_argument("--force", action="store_true", default=None, help="translate every source, changed or not")
    tr.add_argument("--prune", action="store_true", default=None,
                    help="delete the outputs of sources that disappeared since the last run")
    tr.add_argument("--max-document-size", help="documents larger than this fail (default: 64MiB; corpora are streamed, no limit)")
    tr.add_argument("--on-suspect", choices=["keep", "retry", "fail"],
                    help="degenerate translations (empty, far too long or short, looping): keep and flag them"
                         " (default), retry them with beam search, or fail their document")
    tr.add_argument("--allow-pickle", action="store_true", default=None,
                    help="load pickle (.bin) model weights, which can run code when loaded (default: safetensors only)")

    run = sub.add_parser("run", help="run a YAML run config now")
    run.add_argument("config", metavar="CONFIG")

    serve = sub.add_parser("serve", help="serve run configs as Prefect deployments on their cron schedules")
    serve.add_argument("configs", nargs="+", metavar="CONFIG")

    seg = sub.add_parser("segment", help="split JSON lines {\"text\": ...} from stdin into sentences")
    seg.add_argument("--lang", required=True, help="language of the text")

    sub.add_parser("languages", help="list the supported languages")
    return parser


def _validate(settings: dict):
    from pydantic import ValidationError

    from babelflow.config import RunConfig

    from babelflow.tasks.engines import UnknownEngine, check_engine

    try:
        config = RunConfig.model_validate(settings)
        check_engine(config.engine)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "config"
            problems.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("; ".join(problems)) from None
    except UnknownEngine as exc:
        raise ConfigError(f"engine: {exc}") from None
    return config


def _config(args: argparse.Namespace):
    from babelflow.config import load_config_file

    settings = load_config_file(args.config) if args.config else {}
    given = {
        "sources": args.sources or None, "to": args.to, "out": args.out, "from": args.src_lang,
        "engine": args.engine, "model": args.model, "workers": args.workers, "text_column": args.text_column,
        "beams": args.beams, "max_batch_tokens": args.max_batch_tokens, "device": args.device, "cache": args.cache,
        "force": args.force, "prune": args.prune, "max_document_size": args.max_document_size,
        "on_suspect": args.on_suspect, "allow_pickle": args.allow_pickle,
    }
    settings.update({k: v for k, v in given.items() if v is not None})
    return _validate(settings)


def _prefect_defaults() -> None:
    """Run offline with an ephemeral server unless the user configured Prefect otherwise.

    Also: Arrow's own allocator keeps what corpus parts freed, so RSS would grow with the corpus;
    the system allocator gives it back (set before pyarrow is first imported).
    """
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def cmd_run(args: argparse.Namespace) -> int:
    from babelflow.config import load_config_file

    return _translate(_validate(load_config_file(args.config)))


def cmd_serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from babelflow.config import load_config_file

    configs = {Path(path).stem: _validate(load_config_file(path)) for path in args.configs}
    unscheduled = [name for name, config in configs.items() if not config.schedule]
    if unscheduled:
        raise ConfigError(f"no `schedule` (cron) in: {', '.join(unscheduled)}")
    _prefect_defaults()
    from babelflow.flows.translate_documents import serve

    serve(configs)
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    return _translate(_config(args))


def _translate(config) -> int:
    _prefect_defaults()
    from babelflow.connectors.sinks import DestinationBusy
    from babelflow.connectors.sources import SourceError
    from babelflow.flows.translate_documents import run
    from babelflow.tasks.engines import ModelNotFound

    main_thread = threading.current_thread() is threading.main_thread()  # only it may handle signals
    stop = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        summary = run(config)
    except (SourceError, ModelNotFound, DestinationBusy) as exc:
        print(f"babelflow: error: {redact(str(exc))}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("babelflow: interrupted. Outputs written so far are complete; run the same command again to"
              " finish (finished shards are cached and not translated again).", file=sys.stderr)
        return INTERRUPTED
    finally:
        if main_thread:  # a handler installed from C reads as None: the default is the best restore
            signal.signal(signal.SIGTERM, signal.SIG_DFL if stop is None else stop)
    for source, tgt, message in summary.errors:
        print(f"FAILED {source} -> {iso(tgt)}: {message}", file=sys.stderr)
    for source in summary.disappeared:
        print(f"{'PRUNED' if summary.pruned else 'GONE'} {source}: no longer among the sources", file=sys.stderr)
    print(
        f"{summary.documents} documents x {summary.targets} languages: {summary.ok} ok, {summary.error} failed,"
        f" {summary.skipped} unchanged (skipped), all accounted for"
        f" ({summary.segments} segments, {summary.unique_translated} translated, {summary.cache_hits} from cache,"
        f" {summary.suspect} suspect,"
        f" {summary.seconds:.1f} s); manifest: {summary.manifest}"
    )
    return summary.exit_code


def _interrupt(signum, frame) -> None:
    """A scheduler's stop (Slurm, Kubernetes, systemd send SIGTERM) ends a run as Ctrl-C does: workers
    and the temporary Prefect server are shut down, not left running."""
    raise KeyboardInterrupt


def cmd_segment(args: argparse.Namespace) -> int:
    from babelflow.tasks.segment import split_sentences

    lang = to_mbart(args.lang)
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            text = json.loads(line)["text"]
        except (json.JSONDecodeError, KeyError, TypeError):
            print(f"babelflow: error: line {number}: expected a JSON object with a \"text\" string", file=sys.stderr)
            return USAGE_ERROR
        sentences = [text[a:b] for a, b in split_sentences(text, lang)]
        print(json.dumps({"sentences": sentences}, ensure_ascii=False), flush=True)
    return 0


def cmd_languages(args: argparse.Namespace) -> int:
    for code, name in sorted(MBART50.items(), key=lambda kv: kv[1]):
        print(f"{iso(code):<4}{code:<8}{name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = {"translate": cmd_translate, "run": cmd_run, "serve": cmd_serve, "segment": cmd_segment,
               "languages": cmd_languages}[args.command]
    try:
        return command(args)
    except (ConfigError, UnsupportedLanguage) as exc:
        print(f"babelflow: error: {exc}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
