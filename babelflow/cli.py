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
BROKEN_PIPE = 141  # 128 + SIGPIPE: what `ls | head` leaves ls with


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="babelflow", description="Batch document translation with open models.")
    sub = parser.add_subparsers(dest="command", required=True)

    logs = argparse.ArgumentParser(add_help=False)
    logs.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs (server, flow and task runs)")
    logs.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                      help="show Prefect's logs from this level on")

    tr = sub.add_parser("translate", parents=[logs], help="translate documents and corpora")
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

    run = sub.add_parser("run", parents=[logs], help="run a YAML run config now")
    run.add_argument("config", metavar="CONFIG")

    serve = sub.add_parser("serve", parents=[logs],
                           help="serve run configs as Prefect deployments on their cron schedules")
    serve.add_argument("configs", nargs="+", metavar="CONFIG")

    seg = sub.add_parser("segment", help="split JSON lines {\"text\": ...} from stdin into sentences")
    seg.add_argument("--lang", required=True, help="language of the text")

    sub.add_parser("languages", help="list the supported languages")
    return parser


_MISSING = {
    "sources": "no SOURCE given: name the files, folders, globs or URLs to translate",
    "to": "no target language: pass --to LANG[,LANG...] (or `to:` in the config)",
    "out": "no destination: pass --out DEST (or `out:` in the config)",
}


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
            if err["type"] == "missing" and where in _MISSING:
                problems.append(_MISSING[where])
            else:
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


def _prefect_defaults(args: argparse.Namespace) -> None:
    """Run offline, and quiet: the terminal shows the progress bar, failed documents and the summary;
    Prefect's own lines (server URL, flow-run names, a line per task) only with -v or --log-level.
    Logs still reach the Prefect server either way. Settings the user made win.

    Also: Arrow's own allocator keeps what corpus parts freed, so RSS would grow with the corpus;
    the system allocator gives it back (set before pyarrow is first imported).
    """
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    level = args.log_level or ("INFO" if args.verbose else None)
    if level:
        os.environ["PREFECT_LOGGING_LEVEL"] = os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = level
    else:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


def cmd_run(args: argparse.Namespace) -> int:
    from babelflow.config import load_config_file

    return _translate(_validate(load_config_file(args.config)), args)


def cmd_serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from babelflow.config import load_config_file

    configs = {Path(path).stem: _validate(load_config_file(path)) for path in args.configs}
    unscheduled = [name for name, config in configs.items() if not config.schedule]
    if unscheduled:
        raise ConfigError(f"no `schedule` (cron) in: {', '.join(unscheduled)}")
    _prefect_defaults(args)
    from babelflow.flows.translate_documents import serve

    serve(configs)
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    return _translate(_config(args), args)


def _translate(config, args: argparse.Namespace) -> int:
    _prefect_defaults(args)
    from babelflow.connectors.sinks import DestinationBusy
    from babelflow.connectors.sources import SourceError
    from babelflow.flows.translate_documents import run
    from babelflow.tasks.engines import STOP, ModelNotFound

    main_thread = threading.current_thread() is threading.main_thread()  # only it may handle signals
    before = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)} if main_thread else {}
    if _watchdog is not None:  # an earlier run in this process (embedded, tested) was interrupted and reported
        _watchdog.cancel()
    _INTERRUPTED.clear()
    _REPORTED.clear()
    try:
        summary = run(config)
    except (SourceError, ModelNotFound, DestinationBusy) as exc:
        print(f"babelflow: error: {redact(str(exc))}", file=sys.stderr)
        return USAGE_ERROR
    except Exception:
        if _INTERRUPTED.is_set():  # library code on the way turned the KeyboardInterrupt into another error
            raise KeyboardInterrupt from None
        raise
    finally:
        STOP.clear()
        for signum, handler in before.items():  # one installed from C reads as None: the default is best
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    _report(summary)
    return summary.exit_code


def _report(summary) -> None:
    for source, tgt, message in summary.errors:
        print(f"FAILED {source} -> {iso(tgt)}: {message}", file=sys.stderr)
    for source in summary.disappeared:
        print(f"{'PRUNED' if summary.pruned else 'GONE'} {source}: no longer among the sources", file=sys.stderr)
    if summary.worker_deaths:
        print(f"babelflow: a worker process died ({summary.worker_deaths} times); the shards it was running ran"
              " again one at a time", file=sys.stderr)
    print(
        f"{summary.documents} documents x {summary.targets} languages: {summary.ok} ok, {summary.error} failed,"
        f" {summary.skipped} unchanged (skipped), all accounted for"
        f" ({summary.segments} segments, {summary.translations} segment translations written:"
        f" {summary.unique_translated} unique texts translated, {summary.cache_hits} from cache,"
        f" {summary.suspect} suspect; model loaded in {summary.model_seconds:.1f} s; {summary.seconds:.1f} s in all);"
        f" manifest: {summary.manifest}"
    )


_INTERRUPTED = threading.Event()
_REPORTED = threading.Event()
_watchdog: threading.Timer | None = None
GRACE_SECONDS = 8  # for the run to stop cleanly once interrupted; then it is ended regardless
_INTERRUPTED_MESSAGE = ("babelflow: interrupted. Outputs written so far are complete; run the same command again"
                        " to finish (finished shards are cached and not translated again).")


def _interrupt(signum, frame) -> None:
    """Ctrl-C, or a scheduler's stop (Slurm, Kubernetes, systemd send SIGTERM): engines stop at their
    next decoding step, workers and the temporary Prefect server are shut down, not left running. The
    first signal is enough; more while the run stops would only cut its clean-up short."""
    from babelflow.tasks.engines import STOP

    if _INTERRUPTED.is_set():
        return
    _INTERRUPTED.set()
    STOP.set()
    global _watchdog
    _watchdog = threading.Timer(GRACE_SECONDS, _give_up)
    _watchdog.daemon = True  # it must not keep a stopped run alive, only end a stuck one (or its exit)
    _watchdog.start()
    raise KeyboardInterrupt


def _give_up() -> None:
    """The clean stop, or the exit after it, is stuck (a library waiting on a dead peer): end now.
    Outputs are written atomically, so nothing is left half-written; the temporary server ends with
    this process."""
    import multiprocessing

    for child in multiprocessing.active_children():
        child.kill()
    if not _REPORTED.is_set():
        print(_INTERRUPTED_MESSAGE, file=sys.stderr, flush=True)
    os._exit(INTERRUPTED)


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
    try:
        args = _parser().parse_args(argv)
        command = {"translate": cmd_translate, "run": cmd_run, "serve": cmd_serve, "segment": cmd_segment,
                   "languages": cmd_languages}[args.command]
        code = command(args)
        sys.stdout.flush()  # here, where a closed pipe is caught, rather than at exit
        return code
    except (ConfigError, UnsupportedLanguage) as exc:
        print(f"babelflow: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:  # at any moment: starting up, reading, translating, writing
        print(_INTERRUPTED_MESSAGE, file=sys.stderr, flush=True)
        _REPORTED.set()
        return INTERRUPTED
    except BrokenPipeError:  # `babelflow languages | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
