"""Session-wide set-up: offline hub, a throwaway Prefect home and server, the tiny model."""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

_HOME = tempfile.mkdtemp(prefix="babelflow-tests-")  # per test process (each xdist worker has its own)
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ.update(
    HF_HUB_OFFLINE="1",
    HF_HOME=os.path.join(_HOME, "hf"),
    PREFECT_HOME=os.path.join(_HOME, "prefect"),
    PREFECT_SERVER_ANALYTICS_ENABLED="false",
    DO_NOT_TRACK="1",
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
    PREFECT_LOGGING_LEVEL="WARNING",
    TOKENIZERS_PARALLELISM="false",
)

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))

from tiny_model import build_tiny_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
# CI sets this: there a missing corpus is a broken checkout, not a reason to skip.
REQUIRE_CORPUS = os.environ.get("BABELFLOW_REQUIRE_CORPUS") == "1"
# Stands in for the corpus files a test is parametrized over when they cannot be listed (see with_corpus).
NO_CORPUS = pytest.param(None, id="no-corpus", marks=pytest.mark.corpus)


def corpus(*parts: str) -> Path:
    """A path in the shared corpus (real documents, kept beside the repository, not in it). Without the
    corpus the test skips and says why, or fails under BABELFLOW_REQUIRE_CORPUS=1."""
    if not CORPUS.is_dir():
        reason = f"shared corpus not found at {CORPUS}; these tests read real documents"
        if REQUIRE_CORPUS:
            pytest.fail(f"{reason} (BABELFLOW_REQUIRE_CORPUS=1)", pytrace=False)
        pytest.skip(reason)
    return CORPUS.joinpath(*parts)


def with_corpus(params: list) -> list:
    """Parameters listed from the corpus at import, plus NO_CORPUS when it is absent: an empty list would
    be one quiet skip, and a run over zero documents would pass."""
    return params if CORPUS.is_dir() else [*params, NO_CORPUS]


def translate_folder(src: Path, dest: Path, engine: str, *extra: str, to: str = "fr",
                     src_lang: str = "en") -> list[dict]:
    """`babelflow translate` of a folder, in this process; the manifest's rows."""
    import pyarrow.parquet as pq

    from babelflow.cli import main

    main(["translate", str(src), "--to", to, "--from", src_lang, "--out", str(dest), "--engine", engine, *extra])
    return pq.read_table(dest / "manifest.parquet").to_pylist()


def translate_corpus(kind: str, files: list[Path], root: Path) -> dict[str, Path]:
    """A format's corpus files, translated once per engine: identity into French, pseudo into French and
    Arabic; every document must come through, no span lost. The output folders by name."""
    corpus()  # skips here without the corpus (fails in CI)
    assert files, f"no {kind} files in {CORPUS}"
    src = root / "src"
    src.mkdir()
    for path in files:
        shutil.copy(path, src / path.name)
    for engine, to in (("identity", "fr"), ("pseudo", "fr,ar")):
        rows = translate_folder(src, root / engine, engine, to=to)
        assert [r["error"] for r in rows if r["status"] != "ok"] == []
        assert len(rows) == len(files) * len(to.split(",")) and all(r["n_spans_lost"] == 0 for r in rows)
    return {"identity": root / "identity" / "fr", "pseudo": root / "pseudo" / "fr", "pseudo-ar": root / "pseudo" / "ar"}


def libreoffice(component: str) -> bool:
    """Whether soffice is installed with this component, which Debian packages apart: "sw" Writer, "sd"
    Impress, "sc" Calc (CI installs Writer only)."""
    found = shutil.which("soffice")
    return found is not None and (Path(found).resolve().parent / f"lib{component}lo.so").exists()


def members(path: Path) -> dict[str, tuple[int, bytes]]:
    """A zip package's members: name -> (compression, bytes), in order."""
    with zipfile.ZipFile(path) as z:
        return {i.filename: (i.compress_type, z.read(i.filename)) for i in z.infolist()}


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def soffice(work: Path, target: str, *paths: Path, timeout: float = 300) -> str:
    """`soffice --convert-to target` of `paths` into work/converted, with a LibreOffice profile of its own
    in `work`; what soffice printed."""
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{work / 'profile'}", "--headless", "--convert-to", target,
         "--outdir", str(work / "converted"), *map(str, paths)],
        capture_output=True, text=True, timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpus: needs the shared corpus; skips without it (fails in CI)")
    # xdist hands out files by their number of tests, most first, unless told to keep the order below:
    # the format files with hundreds of quick corpus cases went first and the Ray file near the end.
    config.option.loadscopereorder = False


# The files that take longest (minutes each, mostly killing and restarting runs): run first, so that
# the two xdist workers, which take the next file when free, finish together rather than one of them
# starting the longest file last.
_SLOW_FIRST = ("test_interrupts.py", "test_resume.py", "test_ray.py", "test_back_translate.py", "test_translate_cli.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(_SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Marked tests meet `corpus()` before their fixtures, which would otherwise read the missing files."""
    if item.get_closest_marker("corpus"):
        corpus()


@pytest.fixture(scope="session", autouse=True)
def prefect_api() -> str:
    """One temporary Prefect server for the whole session; subprocesses get its URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-mbart"))


@pytest.fixture
def cli(capsys):
    """Run `babelflow ARGS` in this process; returns (exit code, stdout, stderr)."""
    from babelflow.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def cli_process(prefect_api):
    """Run `babelflow ARGS` as a separate process against the session's Prefect server."""

    def run(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
        environ = {**os.environ, "PREFECT_API_URL": prefect_api, **env}
        return subprocess.run(
            [sys.executable, "-m", "babelflow.cli", *map(str, args)],
            capture_output=True, text=True, timeout=timeout, env=environ, cwd=REPO,
        )

    return run


def stop_group(proc: subprocess.Popen, first: signal.Signals) -> None:
    """Stop a process started in its own session, and its children: `first`, then SIGKILL after 30 s."""
    os.killpg(proc.pid, first)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prefect_call(server: str, method: str, path: str, seconds: float = 60, **body):
    """One Prefect API call, repeated while a busy server answers an error (SQLite locked on a loaded machine)."""
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            response = httpx.request(method, f"{server}{path}", timeout=30, **({"json": body} if method == "POST" else {}))
            if response.is_success:
                return response.json()
            failure = f"{response.status_code} {response.text[:300]}"
        except httpx.TransportError as error:
            failure = repr(error)
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {path}: {failure}")
        time.sleep(0.5)


_WAIT_FOR_SERVER = """
import sys, time, httpx
deadline = time.monotonic() + 180
while time.monotonic() < deadline:
    try:
        if httpx.get(sys.argv[1] + "/health", timeout=2).status_code == 200:
            sys.exit(0)
    except httpx.HTTPError:
        pass
    time.sleep(0.5)
sys.exit(1)
"""


@contextlib.contextmanager
def running_prefect_server(home: Path, within: tuple[str, ...] = ()):
    """A real `prefect server start` on 127.0.0.1, its API URL yielded once it answers; `within` prefixes
    its commands (nsenter into a network namespace: then it is that namespace's loopback)."""
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "wb")
    prefect = Path(sys.executable).parent / "prefect"
    proc = subprocess.Popen(
        [*within, str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        if subprocess.run([*within, sys.executable, "-c", _WAIT_FOR_SERVER, url], env=env).returncode != 0:
            raise RuntimeError((home / "server.log").read_text()[-3000:])
        yield url
    finally:
        stop_group(proc, signal.SIGTERM)
        log.close()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    with running_prefect_server(tmp_path_factory.mktemp("prefect-server")) as url:
        yield url


SECRET = "s3cr3t-Value-never-printed"  # the S3 secret key: it must never appear in any output


@pytest.fixture(scope="session")
def s3():
    """moto's S3 server on 127.0.0.1, reached through s3fs with the standard AWS settings; one per session,
    as moto keeps its buckets in the process whatever the server."""
    import fsspec
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="babelflow-test",
                      AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1")
    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    fs.mkdir("corpus")
    fs.mkdir("translated")
    yield fs
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
