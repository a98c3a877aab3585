"""Sources and destinations by URL: an S3-compatible server and a web server, both on loopback."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import SECRET


def _manifest(fs, url: str) -> dict[str, dict]:
    with fs.open(url, "rb") as f:
        return {r["source"].rsplit("/", 1)[-1]: r for r in pq.read_table(f).to_pylist()}


def test_bucket_to_bucket_nightly(cli, s3) -> None:
    s3.pipe({
        "corpus/docs/a.txt": b"The first document. It has two sentences.",
        "corpus/docs/b.md": b"# Title\n\nSome **bold** text.\n",
        "corpus/docs/sub/c.html": b"<html><body><p>Hello <b>world</b>.</p></body></html>",
        "corpus/docs/d.txt": b"Will be deleted.",
    })
    args = ["translate", "s3://corpus/docs", "--to", "fr", "--from", "en", "--out", "s3://translated/nightly",
            "--engine", "pseudo"]
    code, out, err = cli(*args)
    assert code == 0, err
    assert "4 ok" in out
    assert s3.cat("translated/nightly/fr/sub/c.html").count(b"<b>") == 1
    assert s3.exists("translated/nightly/segments") and s3.exists("translated/nightly/.babelflow/state.parquet")

    code, out, err = cli(*args)
    assert code == 0 and "0 ok" in out and "4 unchanged" in out, "a rerun skips everything"

    s3.pipe("corpus/docs/a.txt", b"The first document, changed.")
    s3.rm("corpus/docs/d.txt")
    code, out, err = cli(*args)
    assert code == 0, err
    rows = _manifest(s3, "translated/nightly/manifest.parquet")
    assert {name: r["status"] for name, r in rows.items()} == {"a.txt": "ok", "b.md": "skipped", "c.html": "skipped"}
    assert "GONE s3://corpus/docs/d.txt" in err
    assert "ƒíŕšť" in s3.cat("translated/nightly/fr/a.txt").decode() and "çĥáñĝéď" in s3.cat("translated/nightly/fr/a.txt").decode()
    assert s3.exists("translated/nightly/fr/d.txt"), "kept without --prune"
    everything = out + err + str(rows) + s3.cat("translated/nightly/manifest.parquet").decode("latin-1")
    assert SECRET not in everything


def test_credentials_never_appear_in_errors(cli, s3, tmp_path) -> None:
    code, out, err = cli("translate", "s3://no-such-bucket/x", "--to", "fr", "--out", tmp_path / "o", "--engine", "pseudo")
    assert code == 2 and SECRET not in out + err


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """A plain HTTP server on 127.0.0.1 serving a folder of pages."""
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text("<html><head><title>Home page</title></head><body><p>Welcome home.</p></body></html>")
    (root / "docs").mkdir()
    (root / "docs" / "guide.html").write_text("<p>Read the <a href='/docs'>guide</a> first.</p>")
    (root / "docs" / "notes.md").write_text("Plain *notes*.\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_web_pages_from_a_list_of_urls(cli, web, tmp_path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# pages to translate\n{web}/\n{web}/docs/guide.html\n{web}/docs/notes.md\n{web}/gone.html\n")
    dest = tmp_path / "out"
    code, out, err = cli("translate", f"@{listing}", "--to", "de", "--from", "en", "--out", dest, "--engine", "pseudo")
    assert code == 1, "the dead link fails alone"
    host = web.split("//")[1].replace(":", "_")
    assert "Ŵéĺçóɱé" in (dest / "de" / host / "index.html").read_text()
    assert "<a href=\"/docs\">ĝúíďé</a>" in (dest / "de" / host / "docs" / "guide.html").read_text()
    assert (dest / "de" / host / "docs" / "notes.md").read_text() == "Ƥĺáíñ *ñóťéš*.\n"
    rows = {Path(r["source"]).name: r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    assert rows["gone.html"]["status"] == "error" and "cannot read" in rows["gone.html"]["error"]


def test_memory_urls_in_and_out(cli) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/in/x.txt", b"In memory.")
    code, out, err = cli("translate", "memory://in", "--to", "fr", "--from", "en", "--out", "memory://out",
                         "--engine", "identity")
    assert code == 0, err
    assert fs.cat("/out/fr/x.txt") == b"In memory."


def test_hugging_face_dataset_saved_to_disk(cli, tmp_path) -> None:
    import datasets

    rows = {"id": [1, 2, 3], "text": ["Hello there.", "Second row here.", None]}
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "src" / "ds"))
    dest = tmp_path / "out"
    code, _, err = cli("translate", tmp_path / "src", "--to", "fr", "--from", "en", "--out", dest, "--engine", "pseudo")
    assert code == 0, err
    translated = datasets.load_from_disk(str(dest / "fr" / "ds"))
    assert translated["id"] == [1, 2, 3] and translated["text"] == rows["text"]
    assert translated["text_fr"] == ["Ĥéĺĺó ťĥéŕé.", "Šéçóñď ŕóŵ ĥéŕé.", None]


def test_hostile_object_names_never_write_outside_dest(cli, s3, tmp_path) -> None:
    keys = {
        "corpus/hostile/ok.txt": "fine",
        "corpus/hostile/../../../../../../tmp/escaped.txt": "dotdot",
        "corpus/hostile/sub/../ok.txt": "dotdot-collides",
        "corpus/hostile//etc/passwd.txt": "absolute",
        "corpus/hostile/bell\x07.txt": "control",
    }
    s3.pipe({key: f"Text {label}.".encode() for key, label in keys.items()})
    listed = s3.find("corpus/hostile")
    dest = tmp_path / "site" / "out"
    code, out, err = cli("translate", "s3://corpus/hostile", "--to", "fr", "--from", "en", "--out", dest, "--engine", "identity")
    assert code == 1, err
    rows = pq.read_table(dest / "manifest.parquet").to_pylist()
    assert len(rows) == len(listed) >= 4, "every listed object has its row"
    errors = {r["source"]: r["error"] for r in rows if r["status"] == "error"}
    assert len(errors) == len(listed) - 1 and all("unsafe output name" in e for e in errors.values())
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert all(w.startswith("site/out/") for w in written), written
    assert [w for w in written if w.startswith("site/out/fr/")] == ["site/out/fr/ok.txt"]
    assert (dest / "fr" / "ok.txt").read_text() == "Text fine."
    assert not Path("/tmp/escaped.txt").exists()
