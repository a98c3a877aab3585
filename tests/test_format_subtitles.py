"""SubRip and WebVTT through `babelflow translate`: cues, timings and settings survive; only cue text
changes; a sentence over several cues is translated whole and cut back into the same cues."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from protected_text import pseudo_kept

from babelflow.documents import Block, Document, DocumentError, exact_alignment
from babelflow.tasks.engines.pseudo import pseudo
from babelflow.tasks.formats import FormatOptions, subtitles
from babelflow.tasks.project import project

RLM = "\u200f"

FILM = """1
00:00:01,000 --> 00:00:03,200
<i>Previously, on the long road</i>
<i>to the northern border...</i>

2
00:00:03,400 --> 00:00:05,900
<i>...we lost everything</i>
<i>we had built.</i>

3
00:00:07,000 --> 00:00:09,500
I think that

4
00:00:09,600 --> 00:00:12,000
we should go
before the storm hits.

5
00:00:12,500 --> 00:00:14,000
- Are you coming?
- Yes, right now.

6
00:00:15,000 --> 00:00:17,000
♪

7
00:00:17,500 --> 00:00:18,000

8
00:00:18,500 --> 00:00:21,000
{\\an8}<font color="#ffff00">[THUNDER RUMBLING]</font>

9
00:00:21,500 --> 00:00:23,000
JOHN: Where is the map?

10
00:00:23,100 --> 00:00:25,000
<b>It's in the car,</b>
<u>under the seat</u>

11
00:00:25,100 --> 00:00:26,000
next to the flashlight.

12
00:00:30,000 --> 00:00:32,000 X1:100 X2:500 Y1:10 Y2:50
Call me at +1 555 0100 or write to help@example.com
"""

STYLED = """WEBVTT - A film excerpt
Kind: captions
Language: en

STYLE
::cue(.yellow) {
  color: yellow;
}

REGION
id:fred
width:40%
lines:3

NOTE This is a comment
that spans two lines

intro
00:00.000 --> 00:02.000 line:0 position:10%
<v Bob>I think that</v>

00:02.100 --> 00:04.000 line:0 position:10%
<v Bob>we should <c.yellow>go</c> now.

2
00:00:05.000 --> 00:00:07.000
<v.loud Alice>Tom &amp; Jerry &lt;3 each other&nbsp;too.
<ruby>漢<rt>kan</rt></ruby> is read <lang fr>kan</lang>.

00:00:08.000 --> 00:00:10.000 region:fred align:left
Karaoke <00:00:08.500>words <00:00:09.000>here.
<i></i>An empty tag.

00:00:11.000 --> 00:00:12.000
<v Bob>We need a

00:00:12.200 --> 00:00:13.000
<v Alice>No.
"""

SLOPPY = ("\n\n1\n00:00:01,000 --> 00:00:02,000  \nHello there,   \n2\n00:00:02,500 --> 00:00:04,000\n"
          "General Kenobi!\n \n\n3\n00:00:05,000 --> 00:00:06,000\n<i>A line\nwith no final newline")

CASES = {
    "film.srt": FILM.encode(),
    "crlf_bom.srt": b"\xef\xbb\xbf" + FILM.replace("\n", "\r\n").encode(),
    "sloppy.srt": SLOPPY.encode(),
    "styled.vtt": STYLED.encode(),
    "crlf_bom.vtt": b"\xef\xbb\xbf" + STYLED.replace("\n", "\r\n").encode(),
}
BROKEN = {
    "bad_timing.srt": b"1\n00:00:01,000 --> 00:00:02,000\nFine.\n\n2\n00:00:03,000 -> 00:00:04,000\nBroken.\n",
    "binary.srt": b"\x00\x01\x02binary\x00" * 40,
    "bad_timing.vtt": b"WEBVTT\n\n00:01.000 --> 00:02\nBroken.\n",
}
_MARKUP = re.compile(r"<[^>]*>|\{\\[^}]*\}|&[#\w]+;")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """One `babelflow translate` per engine over every case (pseudo into French and Arabic)."""
    from babelflow.cli import main

    root = tmp_path_factory.mktemp("subtitles")
    src = root / "src"
    src.mkdir()
    for name, data in {**CASES, **BROKEN}.items():
        (src / name).write_bytes(data)
    out = {"src": src}
    for engine, targets in (("identity", "fr"), ("pseudo", "fr,ar")):
        dest = root / engine
        code = main(["translate", str(src), "--to", targets, "--from", "en", "--out", str(dest), "--engine", engine])
        assert code == 1, "the broken files fail alone"
        out[engine] = dest
    return out


def _output(run: dict, engine: str, name: str, lang: str = "fr") -> str:
    return (run[engine] / lang / name).read_bytes().decode("utf-8")


def _expected_pseudo(source: str) -> str:
    """The source with the text of every cue line pseudo-translated outside its markup; numbers,
    timings, identifiers (a line before a timing), header, NOTE, STYLE and REGION blocks as they were."""
    lines = source.splitlines(keepends=True)
    out, kept_block = [], False
    for i, line in enumerate(lines):
        text = line.rstrip("\r\n")
        if not text.strip():
            kept_block = False
        elif re.match(r"\ufeff?(WEBVTT|NOTE|STYLE|REGION)\b", text):
            kept_block = True
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if kept_block or not text.strip() or "-->" in text or "-->" in nxt or not re.search("[A-Za-z]", text):
            out.append(line)
            continue
        pieces, pos = [], 0
        for m in _MARKUP.finditer(text):
            pieces += [pseudo_kept(text[pos : m.start()]), m.group()]
            pos = m.end()
        out.append(("".join(pieces) + pseudo_kept(text[pos:])).rstrip() + line[len(text) :])
    return "".join(out)


@pytest.mark.parametrize("name", CASES)
def test_identity_round_trip_is_byte_identical(run, name) -> None:
    assert (run["identity"] / "fr" / name).read_bytes() == CASES[name]


@pytest.mark.parametrize("name", CASES)
def test_pseudo_changes_only_cue_text_and_keeps_every_cue(run, name) -> None:
    """Every cue keeps its number, timing, settings and tags; every ASCII letter of its text changes
    (but in protected text: the e-mail address); the cues get exactly their own text."""
    source = CASES[name].decode("utf-8")
    output = _output(run, "pseudo", name)
    assert output.count("-->") == source.count("-->")
    assert output == _expected_pseudo(source)


def test_pseudo_output_of_the_film(run) -> None:
    output = _output(run, "pseudo", "film.srt")
    assert f"3\n00:00:07,000 --> 00:00:09,500\n{pseudo('I think that')}\n\n" in output
    assert f"4\n00:00:09,600 --> 00:00:12,000\n{pseudo('we should go')}\n{pseudo('before the storm hits.')}\n" in output
    assert f"<i>{pseudo('...we lost everything')}</i>\n<i>{pseudo('we had built.')}</i>" in output
    assert f'{{\\an8}}<font color="#ffff00">[{pseudo("THUNDER RUMBLING")}]</font>' in output
    assert "6\n00:00:15,000 --> 00:00:17,000\n♪\n\n7\n00:00:17,500 --> 00:00:18,000\n\n8\n" in output
    assert "X1:100 X2:500 Y1:10 Y2:50\n" in output and "help@example.com" in output


def test_pseudo_output_of_the_webvtt(run) -> None:
    output = _output(run, "pseudo", "styled.vtt")
    assert output.startswith(STYLED[: STYLED.index("intro")])
    assert f"intro\n00:00.000 --> 00:02.000 line:0 position:10%\n<v Bob>{pseudo('I think that')}</v>\n" in output
    assert f"<v Bob>{pseudo('we should')} <c.yellow>{pseudo('go')}</c> {pseudo('now')}.\n" in output
    assert f"<v.loud Alice>{pseudo('Tom')} &amp; {pseudo('Jerry')} &lt;3 {pseudo('each other')}&nbsp;" in output
    assert f"<ruby>漢<rt>{pseudo('kan')}</rt></ruby> {pseudo('is read')} <lang fr>{pseudo('kan')}</lang>." in output
    assert f"{pseudo('Karaoke')} <00:00:08.500>{pseudo('words')} <00:00:09.000>{pseudo('here')}." in output
    assert f"<i></i>{pseudo('An empty tag')}." in output


def _segments(run: dict, name: str) -> list[str]:
    rows = pq.read_table(run["pseudo"] / "segments").to_pylist()
    return [r["source_text"] for r in rows if r["source"].endswith("/" + name) and r["tgt_lang"].startswith("fr")]


def test_a_sentence_over_cues_is_one_segment(run) -> None:
    film = _segments(run, "film.srt")
    assert "I think that we should go before the storm hits." in film
    assert "It's in the car, under the seat next to the flashlight." in film
    assert "I think that we should go now." in _segments(run, "styled.vtt")
    assert "We need a" in _segments(run, "styled.vtt"), "another voice starts a new sentence"
    assert "Hello there, General Kenobi!" in _segments(run, "sloppy.srt")


def test_right_to_left_target_marks_lines(run) -> None:
    """SubRip: U+200F at both ends of each translated line, inside its leading and trailing markup;
    WebVTT: &rlm; ahead of a line whose first strong character is left to right (here, all)."""
    srt = _output(run, "pseudo", "film.srt", "ar")
    assert f"\n<i>{RLM}{pseudo('Previously, on the long road')}{RLM}</i>\n" in srt
    assert f"\n{RLM}- {pseudo('Are you coming?')}{RLM}\n{RLM}- {pseudo('Yes, right now.')}{RLM}\n" in srt
    assert f'{{\\an8}}<font color="#ffff00">{RLM}[{pseudo("THUNDER RUMBLING")}]{RLM}</font>' in srt
    assert "\n♪\n" in srt, "a cue that is not translated is kept as it was"
    vtt = _output(run, "pseudo", "styled.vtt", "ar")
    assert f"\n&rlm;<v Bob>{pseudo('I think that')}</v>\n" in vtt
    assert f"\n&rlm;<ruby>漢<rt>{pseudo('kan')}</rt></ruby> " in vtt
    assert vtt.replace("&rlm;", "") == _output(run, "pseudo", "styled.vtt")


def test_broken_subtitles_fail_alone(run) -> None:
    rows = pq.read_table(run["pseudo"] / "manifest.parquet").to_pylist()
    failed = {Path(r["source"]).name: r["error"] for r in rows if r["status"] == "error"}
    assert set(failed) == set(BROKEN)
    assert "line 6" in failed["bad_timing.srt"] and "'00:00:03,000 -> 00:00:04,000'" in failed["bad_timing.srt"]
    assert "line 3" in failed["bad_timing.vtt"] and "binary" in failed["binary.srt"]
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) == 2 * len(CASES) and all(r["n_spans_lost"] == 0 for r in ok)


@pytest.mark.parametrize(("text", "line"), [
    ("1\n00:00:01,000 --> 00:00:02,000\nA.\n\n2\n00:00:03.000 --> garbage\nB.\n", 6),
    ("1\n00:00:01,000 - 00:00:02,000\nA.\n", 2),
    ("1\nNo timing here.\n", 2),
    ("1\n", 1),
    ("00:00:01,000 --> 00:00:02,000\nA.\n\n00:00:61,000 --> 00:00:62,000\nB.\n", 4),
    ("1\n00:00:01,000 --> 00:00:02,000\nA.\n00:00:03,000 --> 00:00:0x,000\nB.\n", 4),
])
def test_malformed_timing_names_its_line(text, line) -> None:
    with pytest.raises(DocumentError, match=rf"^line {line}: "):
        subtitles.parse(text.encode(), FormatOptions())


def test_text_with_no_cue_is_refused() -> None:
    with pytest.raises(DocumentError, match="no cue timing"):
        subtitles.parse(b"Just some text,\nnot subtitles.\n", FormatOptions())


def _blocks(text: str) -> list[str]:
    return [b.text for b in subtitles.parse(text.encode(), FormatOptions()).blocks]


def _srt(*cues: tuple[float, float, str]) -> str:
    def stamp(t: float) -> str:
        return f"00:00:{int(t):02d},{round(t % 1 * 1000):03d}"

    return "\n".join(f"{n}\n{stamp(a)} --> {stamp(b)}\n{text}\n" for n, (a, b, text) in enumerate(cues, 1))


@pytest.mark.parametrize(("cues", "blocks"), [
    ([(1, 2, "I think that"), (2.1, 3, "we should go.")], ["I think that we should go."]),
    ([(1, 2, "I think that"), (4, 5, "we should go.")], ["I think that", "we should go."]),  # a pause
    ([(1, 2, "I think so."), (2.1, 3, "we should go.")], ["I think so.", "we should go."]),
    ([(1, 2, "I was thinking..."), (2.1, 3, "...we should go.")], ["I was thinking... ...we should go."]),
    ([(1, 2, "I was thinking..."), (2.1, 3, "We should go.")], ["I was thinking...", "We should go."]),
    ([(1, 2, "Are you coming"), (2.1, 3, "- Yes.")], ["Are you coming", "- Yes."]),
    ([(1, 2, "Wait"), (2.1, 3, "[DOOR SLAMS]")], ["Wait", "[DOOR SLAMS]"]),
    ([(1, 2, "♪ Oh my darling ♪"), (2.1, 3, "♪ Clementine ♪")], ["♪ Oh my darling ♪", "♪ Clementine ♪"]),
    ([(1, 2, "I think that"), (2.1, 3, "♪"), (3.1, 4, "we go.")], ["I think that", "we go."]),
    ([(1, 2, "We were going to--"), (2.1, 3, "Stop.")], ["We were going to--", "Stop."]),
    ([(2, 3, "I think that"), (1, 2.5, "we should go.")], ["I think that", "we should go."]),  # overlapping
])
def test_which_cues_continue_a_sentence(cues, blocks) -> None:
    assert _blocks(_srt(*cues)) == blocks


def test_a_run_without_punctuation_is_cut() -> None:
    """Lyrics or captions without full stops do not make the whole file one sentence."""
    cues = [(i * 2.0, i * 2.0 + 1.9, "and the words go on without any stop at all") for i in range(1, 20)]
    blocks = _blocks(_srt(*cues))
    assert 1 < len(blocks) < len(cues) and all(len(b) <= 300 for b in blocks)


def _translate(source: str, translations: dict[str, tuple[str, list[tuple[str, str]]]], tgt: str = "fr") -> str:
    """`source` rendered with blocks translated as `translations` says: the translation and a word
    alignment as (source word, target word) pairs, through the real projection."""
    parsed = subtitles.parse(source.encode(), FormatOptions())
    doc = Document("t.srt", "t.srt", "subtitles", parsed.blocks, parsed.skeleton)
    new: list[Block | None] = []
    for block in parsed.blocks:
        if block.text not in translations:
            new.append(None)
            continue
        text, pairs = translations[block.text]
        alignment = []
        for src_word, tgt_word in pairs:
            s, t = block.text.index(src_word), text.index(tgt_word)
            alignment.append((s, s + len(src_word), t, t + len(tgt_word)))
        spans, lost = project(block.text, block.spans, text, alignment)
        assert lost == 0
        new.append(Block(text, spans))
    return subtitles.render(doc, new, tgt).decode()


def test_cue_boundaries_follow_the_words_they_came_after() -> None:
    source = _srt((1, 2, "<i>I think that</i>"), (2.1, 4, "<i>we should go</i>\n<i>before the storm.</i>"))
    words = [("I", "Je"), ("think", "pense"), ("that", "qu'il"), ("we", "faudrait"), ("should go", "partir"),
             ("before", "avant"), ("the storm", "l'orage")]
    output = _translate(source, {"I think that we should go before the storm.":
                                 ("Je pense qu'il faudrait partir avant l'orage.", words)})
    assert output == ("1\n00:00:01,000 --> 00:00:02,000\n<i>Je pense qu'il</i>\n\n"
                      "2\n00:00:02,100 --> 00:00:04,000\n<i>faudrait partir</i>\n<i>avant l'orage.</i>\n")


def test_a_cue_the_projection_leaves_without_words_gets_its_share() -> None:
    """Words reordered so that the boundary lands before the final stop: the cues are cut by length."""
    source = _srt((1, 2, "Yesterday evening we"), (2.1, 3, "went to the old harbour."))
    translation = "Zum alten Hafen gingen gestern Abend wir."
    words = [("Yesterday", "gestern"), ("evening", "Abend"), ("we", "wir"), ("went", "gingen"),
             ("old harbour", "alten Hafen")]
    output = _translate(source, {"Yesterday evening we went to the old harbour.": (translation, words)})
    assert re.findall(r"-->.*\n(.+)\n", output) == ["Zum alten Hafen gingen", "gestern Abend wir."]


def test_a_longer_translation_is_wrapped_in_even_lines() -> None:
    source = _srt((1, 3, "Thank you for coming."))
    translation = "Vielen herzlichen Dank, dass Sie heute Abend alle gekommen sind."
    output = _translate(source, {"Thank you for coming.": (translation, [("Thank you", "Vielen herzlichen Dank")])})
    assert output.split("\n")[2:] == ["Vielen herzlichen Dank, dass Sie", "heute Abend alle gekommen sind.", ""]


def test_dialogue_lines_break_at_the_dashes() -> None:
    source = _srt((1, 3, "- Are you coming?\n- Yes."))
    output = _translate(source, {"- Are you coming? - Yes.": ("- Vous venez avec nous ce soir ? - Oui.", [])})
    assert output.endswith("\n- Vous venez avec nous ce soir ?\n- Oui.\n")


def test_italic_over_the_boundary_is_closed_in_each_cue() -> None:
    """A translation whose italic runs over the cue boundary: each cue opens and closes its own tags."""
    source = _srt((1, 2, "He said <i>never</i>"), (2.1, 3, "to anyone."))
    parsed = subtitles.parse(source.encode(), FormatOptions())
    assert parsed.blocks[0].spans == [(8, 13, 0), (13, 13, 1)]
    doc = Document("t.srt", "t.srt", "subtitles", parsed.blocks, parsed.skeleton)
    output = subtitles.render(doc, [Block("Il a dit jamais à personne.", [(9, 20, 0), (15, 15, 1)])], "fr").decode()
    assert re.findall(r"-->.*\n(.+)\n", output) == ["Il a dit <i>jamais</i>", "<i>à pe</i>rsonne."]


def test_an_unclosed_element_is_closed_at_the_cue_end_as_players_read_it() -> None:
    parsed = subtitles.parse(b"1\n00:00:01,000 --> 00:00:02,000\n<i>Unclosed</b> tag\n", FormatOptions())
    assert parsed.blocks[0].text == "Unclosed tag" and len(parsed.blocks[0].spans) == 2
    doc = Document("t.srt", "t.srt", "subtitles", parsed.blocks, parsed.skeleton)
    block = parsed.blocks[0]
    spans, _ = project(block.text, block.spans, pseudo(block.text), exact_alignment(len(block.text)))
    assert subtitles.render(doc, [Block(pseudo(block.text), spans)], "fr").decode().endswith(
        f"\n<i>{pseudo('Unclosed')}</b> {pseudo('tag')}\n")
