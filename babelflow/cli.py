"""`babelflow` command line. Heavy imports happen inside the commands, so `--help` is instant."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from babelflow.config import DEFAULT_MODEL, ConfigError
from babelflow.languages import MBART50, UnsupportedLanguage, iso, to_code
from babelflow.languages import name as language_name
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

    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--engine", help="hf (default; transformers, also named mbart), ct2 (CTranslate2, pip install"
                        " babelflow[ct2]), pseudo or identity")
    shared.add_argument("--model", help=f"hub id or local directory of an mBART-50, NLLB-200, M2M-100 or Marian"
                        f" (OPUS-MT) model (default: {DEFAULT_MODEL})")
    shared.add_argument("--config", help="YAML run config; command-line options override it")
    shared.add_argument("--workers", type=int, help="worker processes, each loading the model once (default: one per visible GPU, else 1)")
    shared.add_argument("--runner", choices=["local", "ray"],
                        help="local (default): worker processes on this machine; ray: model replicas on a Ray cluster")
    shared.add_argument("--ray-address", help="the Ray cluster: auto, HOST:PORT or ray://HOST:PORT (default: start one here)")
    shared.add_argument("--text-column", help="text column of Parquet/JSONL/CSV corpora (default: text)")
    shared.add_argument("--max-batch-tokens", type=int, help="padded tokens per model batch (default: 8192)")
    shared.add_argument("--device", help="auto (default), cpu, cuda, cuda:1, ...")
    shared.add_argument("--cache", help="translation cache folder or URL (default: DEST/.babelflow/cache)")
    shared.add_argument("--allow-pickle", action="store_true", default=None,
                        help="load pickle (.bin) model weights, which can run code when loaded (default: safetensors only)")
    shared.add_argument("--glossary", metavar="FILE",
                        help="CSV, TSV or TBX of terms: each written as the glossary says, or kept as it is")

    tr = sub.add_parser("translate", parents=[logs, shared], help="translate documents and corpora")
    tr.add_argument("sources", nargs="*", metavar="SOURCE", help="files, directories (recursive) or globs")
    tr.add_argument("--to", help="target languages, comma separated: fr,de or fr_XX,de_DE")
    tr.add_argument("--out", help="destination folder")
    tr.add_argument("--from", dest="src_lang", help="source language, or 'auto' (default) to detect per document")
    tr.add_argument("--beams", type=int, help="beam size (default: 1, greedy)")
    tr.add_argument("--force", action="store_true", default=None, help="translate every source, changed or not")
    tr.add_argument("--prune", action="store_true", default=None,
                    help="delete the outputs of sources that disappeared since the last run")
    tr.add_argument("--max-document-size", help="documents larger than this fail (default: 64MiB; corpora are streamed, no limit)")
    tr.add_argument("--on-suspect", choices=["keep", "retry", "fail"],
                    help="degenerate translations (empty, far too long or short, looping): keep and flag them"
                         " (default), retry them with beam search, or fail their document")
    tr.add_argument("--part", metavar="I/N",
                    help="translate only the sources whose URL hashes to part I of N (from 0), beside N-1 other"
                         " drivers writing to the same --out: a Slurm array, a Prefect work pool, N commands")

    bt = sub.add_parser("back-translate", parents=[logs, shared],
                        help="synthetic parallel data: monolingual text translated back, sampled and filtered")
    bt.add_argument("sources", nargs="*", metavar="CORPUS",
                    help="Parquet, JSONL, CSV, Arrow (datasets' save_to_disk) or text files (one text per line),"
                         " documents, folders, globs or URLs")
    bt.add_argument("--from", dest="src_lang", help="language of the monolingual text (the MT system's target side)")
    bt.add_argument("--to", help="language of the synthetic sources")
    bt.add_argument("--out", help="destination: the dataset goes to DEST/data/, the manifest to DEST/manifest.parquet")
    bt.add_argument("--method", choices=["sample", "topk", "beam", "greedy", "noised-beam"],
                    help="topk (default): sample among the k likeliest tokens; sample: among all; beam, greedy:"
                         " search; noised-beam: beam output with words deleted, blanked and shuffled")
    bt.add_argument("--topk", type=int, help="k for --method topk (default: 10)")
    bt.add_argument("--temperature", type=float, help="sampling temperature (default: 1.0)")
    bt.add_argument("--n", type=int, help="outputs per input, for sample, topk and noised-beam (default: 1)")
    bt.add_argument("--seed", type=int, help="the same seed gives the same dataset (default: 0)")
    bt.add_argument("--tag", help="put this token and a space in front of every synthetic source")
    bt.add_argument("--round-trip", action="store_true", default=None,
                    help="translate each synthetic source back too (column round_trip)")
    bt.add_argument("--keep-rejected", action="store_true", default=None,
                    help="write the dropped pairs, with the reason, to DEST/rejected/")
    bt.add_argument("--no-filter", action="append", choices=["empty", "copy", "ratio", "language", "duplicate"],
                    help="turn a filter off (repeatable)")
    bt.add_argument("--max-ratio", type=float, help="length ratio filter: at most this far from the expected length (default: 3)")
    bt.add_argument("--min-score", type=float, help="drop pairs whose mean token log-probability is lower (default: off)")
    bt.add_argument("--id-column", help="id column of a corpus (default: id; rows are numbered without one)")
    bt.add_argument("--beams", type=int, help="beam size of beam and noised-beam, and of --round-trip (default: 4)")

    run = sub.add_parser("run", parents=[logs], help="run a YAML run config now")
    run.add_argument("config", metavar="CONFIG")

    serve = sub.add_parser("serve", parents=[logs],
                           help="serve run configs as Prefect deployments on their cron schedules")
    serve.add_argument("configs", nargs="+", metavar="CONFIG")

    seg = sub.add_parser("segment", help="split JSON lines {\"text\": ...} from stdin into sentences")
    seg.add_argument("--lang", required=True, help="language of the text")

    langs = sub.add_parser("languages", help="list the languages of the default model, or of --model")
    langs.add_argument("--model", help="hub id or local directory: list what it translates from and into")
    langs.add_argument("--allow-pickle", action="store_true", help="the model's weights are pickle files")
    return parser


_MISSING = {
    "sources": "no SOURCE given: name the files, folders, globs or URLs to translate",
    "to": "no target language: pass --to LANG[,LANG...] (or `to:` in the config)",
    "out": "no destination: pass --out DEST (or `out:` in the config)",
    "from": "no language for the monolingual text: pass --from LANG (or `from:` in the config)",
}


def _validate(settings: dict):
    from pydantic import ValidationError

    from babelflow.config import validate_config
    from babelflow.tasks.engines import UnknownEngine, check_engine

    try:
        config = validate_config(settings)
        check_engine(config.engine)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "config"
            if where == "to" and err["type"] == "missing" and settings.get("flow") == "back_translate":
                problems.append("no language for the synthetic sources: pass --to LANG (or `to:` in the config)")
                continue
            if err["type"] == "missing" and where in _MISSING:
                problems.append(_MISSING[where])
            else:
                problems.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("; ".join(problems)) from None
    except UnknownEngine as exc:
        raise ConfigError(f"engine: {exc}") from None
    return config


def _settings(args: argparse.Namespace, **specific) -> dict:
    """The config file's settings, overridden by the options given (those of every command, and
    `specific` ones)."""
    from babelflow.config import load_config_file

    settings = load_config_file(args.config) if args.config else {}
    given = {
        "sources": args.sources or None, "to": args.to, "out": args.out, "from": args.src_lang,
        "engine": args.engine, "model": args.model, "workers": args.workers, "runner": args.runner,
        "ray_address": args.ray_address, "text_column": args.text_column, "beams": args.beams,
        "max_batch_tokens": args.max_batch_tokens, "device": args.device, "cache": args.cache,
        "allow_pickle": args.allow_pickle, "glossary": args.glossary, **specific,
    }
    settings.update({k: v for k, v in given.items() if v is not None})
    return settings


def _config(args: argparse.Namespace):
    return _validate(_settings(args, force=args.force, prune=args.prune, max_document_size=args.max_document_size,
                               on_suspect=args.on_suspect, part=args.part))


def _back_translate_config(args: argparse.Namespace):
    settings = _settings(args, flow="back_translate", method=args.method, topk=args.topk,
                         temperature=args.temperature, n=args.n, seed=args.seed, tag=args.tag,
                         round_trip=args.round_trip, keep_rejected=args.keep_rejected, id_column=args.id_column)
    filters = dict(settings.get("filters") or {})
    for name in args.no_filter or []:
        filters["max_ratio" if name == "ratio" else name] = None if name == "ratio" else False
    if args.max_ratio is not None:
        filters["max_ratio"] = args.max_ratio
    if args.min_score is not None:
        filters["min_score"] = args.min_score
    if filters:
        settings["filters"] = filters
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

    return _run(_validate(load_config_file(args.config)), args)


def cmd_serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from babelflow.config import load_config_file

    configs = {Path(path).stem: _validate(load_config_file(path)) for path in args.configs}
    unscheduled = [name for name, config in configs.items() if not config.schedule]
    if unscheduled:
        raise ConfigError(f"no `schedule` (cron) in: {', '.join(unscheduled)}")
    _prefect_defaults(args)
    from babelflow.flows.serve import serve

    serve(configs)
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    return _run(_config(args), args)


def cmd_back_translate(args: argparse.Namespace) -> int:
    return _run(_back_translate_config(args), args)


def _run(config, args: argparse.Namespace) -> int:
    _prefect_defaults(args)
    from babelflow.config import BackTranslateConfig
    from babelflow.connectors.sinks import DestinationBusy
    from babelflow.connectors.sources import SourceError
    from babelflow.tasks.engines import STOP, ModelNotFound
    from babelflow.tasks.glossary import GlossaryError

    if isinstance(config, BackTranslateConfig):
        from babelflow.flows.back_translate import run
        report = _report_back_translation
    else:
        from babelflow.flows.translate_documents import run
        report = _report

    main_thread = threading.current_thread() is threading.main_thread()  # only it may handle signals
    before = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)} if main_thread else {}
    if _watchdog is not None:  # an earlier run in this process (embedded, tested) was interrupted and reported
        _watchdog.cancel()
    _INTERRUPTED.clear()
    _REPORTED.clear()
    try:
        summary = run(config)
    except (SourceError, ModelNotFound, DestinationBusy, GlossaryError) as exc:
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
    report(summary)
    return summary.exit_code


def _report(summary) -> None:
    for source, tgt, message in summary.errors:
        print(f"FAILED {source} -> {iso(tgt)}: {message}", file=sys.stderr)
    for source in summary.disappeared:
        print(f"{'PRUNED' if summary.pruned else 'GONE'} {source}: no longer among the sources", file=sys.stderr)
    if summary.worker_deaths:
        print(f"babelflow: a worker process died ({summary.worker_deaths} times); the shards it was running ran"
              " again one at a time", file=sys.stderr)
    share = f"part {summary.part}: {summary.documents} of {summary.listed}" if summary.part else summary.documents
    print(
        f"{share} documents x {summary.targets} languages: {summary.ok} ok, {summary.error} failed,"
        f" {summary.skipped} unchanged (skipped), all accounted for"
        f" ({summary.segments} segments, {summary.translations} segment translations written:"
        f" {summary.unique_translated} unique texts translated, {summary.cache_hits} from cache,"
        f" {summary.suspect} suspect; {_loads(summary)}; {summary.seconds:.1f} s in all);"
        f" manifest: {summary.manifest}"
    )


def _loads(summary) -> str:
    """The longest model load, and how many there were (one per worker, none if loaded already)."""
    loads = summary.model_loads
    return f"model loaded in {summary.model_seconds:.1f} s ({loads} load{'' if loads == 1 else 's'})"


def _report_back_translation(summary) -> None:
    for source, message in summary.errors:
        print(f"FAILED {source}: {message}", file=sys.stderr)
    if summary.worker_deaths:
        print(f"babelflow: a worker process died ({summary.worker_deaths} times); the shards it was running ran"
              " again one at a time", file=sys.stderr)
    if not summary.language_filter:
        print("babelflow: the language filter is off: the detector does not know the language of --to",
              file=sys.stderr)
    dropped = ", ".join(f"{count} {name}" for name, count in summary.dropped.items() if count) or "none"
    print(
        f"{summary.documents} sources: {summary.ok} ok, {summary.error} failed; {summary.inputs} inputs ->"
        f" {summary.outputs} pairs kept, dropped: {dropped} ({summary.segments} segments:"
        f" {summary.unique_translated} texts translated, {summary.cache_hits} from cache; {_loads(summary)};"
        f" {summary.seconds:.1f} s in all); dataset: {summary.dataset};"
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

    lang = to_code(args.lang)
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
    """ISO code, babelflow's code, name; with --model also the model's own token and which sides it takes."""
    if args.model is None:
        for code, name in sorted(MBART50.items(), key=lambda kv: kv[1]):
            print(f"{iso(code):<4}{code:<8}{name}")
        return 0
    from babelflow.tasks.engines import EngineSpec, ModelNotFound, model_languages

    try:
        languages = model_languages(EngineSpec("hf", args.model, allow_pickle=args.allow_pickle))
    except ModelNotFound as exc:
        print(f"babelflow: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    assert languages is not None
    sources = "any language" if languages.sources is None else f"{len(languages.sources)}"
    into = len(languages.targets)
    print(f"# {args.model}: {languages.family}, from {sources} into {into} language{'' if into == 1 else 's'}")
    codes = (languages.sources or frozenset()) | languages.targets
    for code in sorted(codes, key=lambda c: (language_name(c), c)):
        target, source = code in languages.targets, languages.sources is None or code in languages.sources
        sides = "from, into" if target and source else "into" if target else "from"
        print(f"{iso(code):<5}{code:<10}{languages.tokens.get(code, ''):<12}{sides:<12}{language_name(code)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        command = {"translate": cmd_translate, "back-translate": cmd_back_translate, "run": cmd_run, "serve": cmd_serve, "segment": cmd_segment,
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
