"""OpenDocument: every ODT of the corpus and a hand-built text, presentation (ODP) and spreadsheet (ODS) through
`babelflow translate`, checked member by member."""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, libreoffice, soffice, with_corpus
from lxml import etree
from protected_text import pseudo_or_kept

from babelflow.tasks.engines.pseudo import pseudo

ODT = sorted((CORPUS / "odt").glob("*.odt"))
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
DC, META = "http://purl.org/dc/elements/1.1/", "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
PRESENTATION = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
NS = {"office": OFFICE, "text": TEXT, "style": STYLE, "fo": FO, "svg": SVG, "dc": DC, "meta": META,
      "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0", "table": TABLE, "presentation": PRESENTATION}


def t(name: str) -> str:
    return f"{{{TEXT}}}{name}"


def s(name: str) -> str:
    return f"{{{STYLE}}}{name}"


def tb(name: str) -> str:
    return f"{{{TABLE}}}{name}"


PARAGRAPHS = {t("p"), t("h")}
WRAPPERS = {t("span"), t("a"), t("meta")}
# Texts outside paragraphs that are translated: element texts and attributes.
TEXTS = {f"{{{SVG}}}title", f"{{{SVG}}}desc", t("index-title-template"), f"{{{DC}}}title", f"{{{DC}}}subject",
         f"{{{DC}}}description", f"{{{META}}}keyword",
         *(f"{{{PRESENTATION}}}{n}-decl" for n in ("header", "footer", "date-time"))}
ATTRIBUTES = {t("hidden-text"): {t("string-value")},
              t("conditional-text"): {t("string-value-if-true"), t("string-value-if-false")},
              t("toc-mark"): {t("string-value")}, t("user-index-mark"): {t("string-value")},
              t("alphabetical-index-mark"): {t("string-value"), t("key1"), t("key2")},
              t("a"): {f"{{{OFFICE}}}title"}, tb("help-message"): {tb("title")}, tb("error-message"): {tb("title")}}
FIELDS = {t("hidden-text"), t("conditional-text")}  # their text is their value, translated with it
# What translation may set in styles: the language of each script class...
LANGUAGE = {f"{{{FO}}}language", f"{{{FO}}}country", f"{{{FO}}}script", s("rfc-language-tag")} | {
    s(f"{kind}-{cls}") for kind in ("language", "country", "script", "rfc-language-tag")
    for cls in ("asian", "complex")}
# ... and into a right-to-left language, the direction, the alignment mirrored with it, and the complex-script
# twins of bold, italic and size.
RTL = LANGUAGE | {s("writing-mode"), f"{{{FO}}}text-align", f"{{{FO}}}text-align-last"} | {
    s(f"font-{p}-complex") for p in ("weight", "style", "size")}


def run_cli(src: Path, dest: Path, engine: str, to: str) -> tuple[int, list[dict]]:
    from babelflow.cli import main

    code = main(["translate", str(src), "--to", to, "--from", "en", "--out", str(dest), "--engine", engine])
    return code, pq.read_table(dest / "manifest.parquet").to_pylist()


# --- a hand-built document with every construct the format translates or keeps ------------------------

ROOT = (f'xmlns:office="{OFFICE}" xmlns:style="{STYLE}" xmlns:text="{TEXT}" xmlns:fo="{FO}" xmlns:svg="{SVG}" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'xmlns:dc="{DC}" xmlns:meta="{META}" xmlns:presentation="{PRESENTATION}" '
        'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
        'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" '
        'xmlns:ooow="http://openoffice.org/2004/writer" office:version="1.3"')
CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-content {ROOT}><office:automatic-styles>\n'
    '<style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/>'
    '</style:style>\n'
    '<style:style style:name="T2" style:family="text">'
    '<style:text-properties fo:font-style="italic" fo:language="en" fo:country="GB"/></style:style>\n'
    '<style:style style:name="P1" style:family="paragraph" style:parent-style-name="Standard">'
    '<style:paragraph-properties style:writing-mode="lr-tb"/></style:style>\n'
    '</office:automatic-styles><office:body><office:text>\n'
    '<text:tracked-changes><text:changed-region xml:id="ct1" text:id="ct1"><text:insertion>'
    '<office:change-info><dc:creator>Ann Author</dc:creator><dc:date>2024-01-01T00:00:00</dc:date>'
    '</office:change-info></text:insertion></text:changed-region>'
    '<text:changed-region xml:id="ct2" text:id="ct2"><text:deletion><office:change-info>'
    '<dc:creator>Ann Author</dc:creator><dc:date>2024-01-01T00:00:00</dc:date></office:change-info>'
    '<text:p>Deleted words stay as they were.</text:p></text:deletion></text:changed-region>'
    '</text:tracked-changes>\n'
    '<text:table-of-content text:name="Table of Contents1">'
    '<text:table-of-content-source text:outline-level="1">'
    '<text:index-title-template text:style-name="Contents_20_Heading">Table of '
    'Contents</text:index-title-template>'
    '</text:table-of-content-source><text:index-body>'
    '<text:index-title text:name="Table of Contents1_Head">'
    '<text:p text:style-name="Contents_20_Heading">Table of Contents</text:p></text:index-title>'
    '<text:p text:style-name="Contents_20_1">'
    '<text:a xlink:type="simple" xlink:href="#__RefHeading___Toc1_1" '
    'text:style-name="Index_20_Link">Introduction<text:tab/>1</text:a>'
    '</text:p></text:index-body></text:table-of-content>\n'
    '<text:h text:style-name="Heading_20_1" text:outline-level="1">'
    '<text:bookmark-start text:name="__RefHeading___Toc1_1"/>Introduction<text:bookmark-end '
    'text:name="__RefHeading___Toc1_1"/>'
    '</text:h>\n'
    '<text:p text:style-name="P1">The quick <text:span text:style-name="T1">brown fox</text:span> jumps over '
    'the <text:meta xml:id="m1">lazy dog</text:meta>.</text:p>\n'
    '<text:p text:style-name="Standard">Visit <text:a xlink:type="simple" xlink:href="https://example.com/" '
    'office:title="Our home page" text:style-name="Internet_20_link">our website</text:a> for '
    'more.</text:p>\n'
    '<text:p text:style-name="Standard">See the note<text:note text:id="ftn1" text:note-class="footnote">'
    '<text:note-citation>1</text:note-citation><text:note-body>'
    '<text:p text:style-name="Footnote">A footnote about foxes.</text:p></text:note-body>'
    '</text:note> here.</text:p>\n'
    '<text:p text:style-name="Standard">Two <text:s/>spaces, three <text:s text:c="2"/>spaces,<text:tab/>a '
    'tab<text:line-break/>and a new line. <text:soft-page-break/>Next page.</text:p>\n'
    '<text:p text:style-name="Standard"><text:s text:c="4"/>Indented code line</text:p>\n'
    '<text:p text:style-name="Standard">Page <text:page-number '
    'text:select-page="current">1</text:page-number>'
    '<text:s/>of the <text:variable-get text:name="doc" '
    'office:value-type="string">report</text:variable-get>.</text:p>\n'
    '<text:p text:style-name="Standard">A picture <draw:frame draw:name="Image1" text:anchor-type="as-char" '
    'svg:width="1cm" svg:height="1cm" draw:z-index="0">'
    '<draw:image xlink:href="Pictures/flag.png" xlink:type="simple" xlink:show="embed" '
    'xlink:actuate="onLoad"/>'
    '<svg:title>Red flag</svg:title><svg:desc>A red flag on a pole</svg:desc></draw:frame>'
    '<text:s/>of a flag.</text:p>\n'
    '<text:p text:style-name="Standard">Before the box <draw:frame draw:name="Frame1" '
    'text:anchor-type="as-char" svg:width="4cm" draw:z-index="1">'
    '<draw:text-box fo:min-height="1cm">'
    '<text:p text:style-name="Standard">Text in a <text:span text:style-name="T2">box</text:span>.</text:p>'
    '</draw:text-box></draw:frame><text:s/>after the box.</text:p>\n'
    '<text:list text:style-name="L1"><text:list-item>'
    '<text:p text:style-name="Standard">First item</text:p></text:list-item><text:list-item>'
    '<text:p text:style-name="Standard">Second item</text:p></text:list-item></text:list>\n'
    '<table:table table:name="Table1"><table:table-column table:number-columns-repeated="2"/>'
    '<table:table-row><table:table-cell office:value-type="string">'
    '<text:p text:style-name="Standard">Cell text here</text:p></table:table-cell>'
    '<table:table-cell office:value-type="string"><text:p text:style-name="Standard">12</text:p>'
    '</table:table-cell></table:table-row></table:table>\n'
    '<text:section text:name="Section1">'
    '<text:p text:style-name="Standard">Text in a <text:alphabetical-index-mark text:string-value="section" '
    'text:key1="parts of a document"/>section.</text:p>'
    '</text:section>\n'
    '<text:p text:style-name="Standard">'
    '<text:hidden-paragraph text:condition="ooow:1" text:is-hidden="true"/>A paragraph hidden by a '
    'condition.</text:p>\n'
    '<text:p text:style-name="Standard">Shown <text:hidden-text text:condition="ooow:0" '
    'text:string-value="unless hidden" text:is-hidden="false">unless hidden</text:hidden-text>'
    '<text:s/>and <text:conditional-text text:condition="ooow:1" text:string-value-if-true="if true" '
    'text:string-value-if-false="if false" text:current-value="true">if '
    'true</text:conditional-text>.</text:p>\n'
    '<text:p text:style-name="Standard">Comment here<office:annotation>'
    '<dc:creator>Ann Author</dc:creator><dc:date>2024-01-01T00:00:00</dc:date>'
    '<text:p>A remark on the text.</text:p>'
    '</office:annotation> and a <text:reference-mark-start text:name="ref1"/>marked '
    'range<text:reference-mark-end text:name="ref1"/>, see <text:bookmark-ref text:reference-format="text" '
    'text:ref-name="__RefHeading___Toc1_1">Introduction</text:bookmark-ref>.</text:p>\n'
    '<text:p text:style-name="Standard">Inserted<text:change-start text:change-id="ct1"/> '
    'words<text:change-end text:change-id="ct1"/> and <text:change text:change-id="ct2"/>deleted '
    'ones.</text:p>\n'
    '</office:text></office:body></office:document-content>'
)
STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-styles {ROOT}><office:styles>\n'
    '<style:default-style style:family="paragraph">'
    '<style:paragraph-properties style:writing-mode="page"/>'
    '<style:text-properties fo:font-size="12pt" fo:language="en" fo:country="US" style:language-asian="zh" '
    'style:country-asian="CN" style:language-complex="hi" style:country-complex="IN"/>'
    '</style:default-style>\n'
    '<style:style style:name="Standard" style:family="paragraph" style:class="text"/>\n'
    '<style:style style:name="Internet_20_link" style:display-name="Internet link" style:family="text">'
    '<style:text-properties fo:color="#000080" fo:language="zxx" fo:country="none"/></style:style>\n'
    '</office:styles><office:automatic-styles><style:page-layout style:name="pm1">'
    '<style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" style:writing-mode="lr-tb"/>'
    '</style:page-layout></office:automatic-styles>\n'
    '<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">'
    '<style:header><text:p text:style-name="Header">Confidential header text</text:p></style:header>'
    '<style:footer>'
    '<text:p text:style-name="Footer">Page <text:page-number text:select-page="current">1</text:page-number>'
    '</text:p></style:footer></style:master-page></office:master-styles>\n'
    '</office:document-styles>'
)
META_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-meta {ROOT}><office:meta><dc:title>A test document</dc:title>'
    '<dc:subject>Testing</dc:subject><dc:description>A document with every construct.</dc:description>'
    '<meta:keyword>fox</meta:keyword><dc:creator>Ann Author</dc:creator>'
    '<meta:generator>babelflow tests</meta:generator></office:meta></office:document-meta>'
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.3">\n'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
    'manifest:media-type="application/vnd.oasis.opendocument.text"/>\n'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>\n'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>\n'
    '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>\n'
    '<manifest:file-entry manifest:full-path="Pictures/flag.png" manifest:media-type="image/png"/>\n'
    '</manifest:manifest>'
)


# --- a hand-built presentation: two slides (title, a list with a span and a link, a shape, a table, a group,
# notes), the footer the slides show, a master page whose text is a template ------------------------------------

ODP_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-content {ROOT}><office:automatic-styles>\n'
    '<style:style style:name="dp1" style:family="drawing-page"/>\n'
    '<style:style style:name="gr1" style:family="graphic" style:parent-style-name="standard">'
    '<style:graphic-properties draw:fill="none"/></style:style>\n'
    '<style:style style:name="P1" style:family="paragraph">'
    '<style:paragraph-properties fo:text-align="start" style:writing-mode="lr-tb"/></style:style>\n'
    '<style:style style:name="P2" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/>'
    '</style:style>\n'
    '<style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>\n'
    '</office:automatic-styles><office:body><office:presentation>\n'
    '<presentation:footer-decl presentation:name="ftr1">Company confidential</presentation:footer-decl>\n'
    '<draw:page draw:name="Title Slide" draw:style-name="dp1" draw:master-page-name="Default" '
    'presentation:use-footer-name="ftr1">\n'
    '<draw:frame draw:layer="layout" svg:width="20cm" svg:height="3cm" svg:x="2cm" svg:y="1cm" '
    'presentation:class="title"><draw:text-box><text:p text:style-name="P2">Quarterly results</text:p>'
    '</draw:text-box></draw:frame>\n'
    '<draw:frame draw:layer="layout" svg:width="20cm" svg:height="8cm" svg:x="2cm" svg:y="5cm" '
    'presentation:class="outline"><draw:text-box><text:list><text:list-item><text:p text:style-name="P1">Sales grew '
    'in <text:span text:style-name="T1">every region</text:span>, see <text:a xlink:href="https://example.com/report" '
    'xlink:type="simple">the full report</text:a>.</text:p></text:list-item><text:list-item>'
    '<text:p>Costs stayed flat.</text:p></text:list-item></text:list></draw:text-box></draw:frame>\n'
    '<draw:custom-shape draw:style-name="gr1" draw:layer="layout" svg:width="4cm" svg:height="2cm" svg:x="2cm" '
    'svg:y="13cm"><svg:title>Arrow</svg:title><svg:desc>An arrow pointing right</svg:desc><text:p>Next steps</text:p>'
    '<draw:enhanced-geometry svg:viewBox="0 0 21600 21600" draw:type="right-arrow"/></draw:custom-shape>\n'
    '<presentation:notes draw:style-name="dp1"><draw:page-thumbnail draw:layer="layout" svg:width="14cm" '
    'svg:height="8cm" svg:x="3cm" svg:y="2cm" draw:page-number="1" presentation:class="page"/>'
    '<draw:frame draw:layer="layout" svg:width="16cm" svg:height="10cm" svg:x="2cm" svg:y="12cm" '
    'presentation:class="notes"><draw:text-box><text:p>Speaker notes: thank the team.</text:p></draw:text-box>'
    '</draw:frame></presentation:notes>\n'
    '</draw:page>\n'
    '<draw:page draw:name="page2" draw:style-name="dp1" draw:master-page-name="Default" '
    'presentation:use-footer-name="ftr1">\n'
    '<draw:frame draw:style-name="gr1" draw:layer="layout" svg:width="12cm" svg:height="3cm" svg:x="2cm" '
    'svg:y="2cm"><table:table><table:table-column/><table:table-column/>'
    '<table:table-row><table:table-cell><text:p>Region</text:p></table:table-cell>'
    '<table:table-cell><text:p>Sales</text:p></table:table-cell></table:table-row>'
    '<table:table-row><table:table-cell><text:p>North</text:p></table:table-cell>'
    '<table:table-cell><text:p>12</text:p></table:table-cell></table:table-row></table:table></draw:frame>\n'
    '<draw:g><draw:frame draw:style-name="gr1" draw:layer="layout" svg:width="6cm" svg:height="2cm" svg:x="2cm" '
    'svg:y="7cm"><draw:text-box><text:p>Grouped text box</text:p></draw:text-box></draw:frame>'
    '<draw:rect draw:style-name="gr1" draw:layer="layout" svg:width="6cm" svg:height="2cm" svg:x="9cm" svg:y="7cm">'
    '<text:p>Grouped rectangle</text:p></draw:rect></draw:g>\n'
    '<draw:frame draw:style-name="gr1" draw:layer="layout" svg:width="12cm" svg:height="2cm" svg:x="2cm" '
    'svg:y="11cm"><draw:text-box><text:p><text:a xlink:href="#Title Slide" xlink:type="simple">Back to the '
    'start</text:a> (slide <text:page-number>2</text:page-number>)</text:p></draw:text-box></draw:frame>\n'
    '<presentation:notes draw:style-name="dp1"><draw:frame draw:layer="layout" svg:width="16cm" svg:height="10cm" '
    'svg:x="2cm" svg:y="12cm" presentation:class="notes"><draw:text-box><text:p>Second slide notes.</text:p>'
    '</draw:text-box></draw:frame></presentation:notes>\n'
    '</draw:page>\n'
    '<presentation:settings presentation:mouse-visible="false"/>\n'
    '</office:presentation></office:body></office:document-content>'
)
ODP_STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-styles {ROOT}><office:styles>\n'
    '<style:default-style style:family="graphic"><style:graphic-properties svg:stroke-color="#3465a4"/>'
    '<style:paragraph-properties style:writing-mode="lr-tb"/>'
    '<style:text-properties fo:font-size="24pt" fo:language="en" fo:country="US" style:language-asian="zh" '
    'style:country-asian="CN" style:language-complex="hi" style:country-complex="IN"/></style:default-style>\n'
    '<style:style style:name="standard" style:family="graphic"><style:graphic-properties draw:fill="solid"/>'
    '<style:text-properties fo:font-weight="bold"/></style:style>\n'
    '</office:styles><office:automatic-styles>'
    '<style:page-layout style:name="PM1"><style:page-layout-properties fo:page-width="28cm" fo:page-height="15.75cm" '
    'style:print-orientation="landscape"/></style:page-layout>'
    '<style:style style:name="Mdp1" style:family="drawing-page"/>'
    '<style:style style:name="MP1" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/>'
    '</style:style></office:automatic-styles>\n'
    '<office:master-styles><style:master-page style:name="Default" style:page-layout-name="PM1" '
    'draw:style-name="Mdp1">'
    '<draw:frame draw:layer="backgroundobjects" svg:width="25cm" svg:height="3cm" svg:x="1.5cm" svg:y="0.6cm" '
    'presentation:class="title" presentation:placeholder="true"><draw:text-box><text:p text:style-name="MP1">Click '
    'to edit the title text format'
    '</text:p></draw:text-box></draw:frame>'
    '<draw:frame draw:layer="backgroundobjects" svg:width="9cm" svg:height="1cm" svg:x="9.5cm" svg:y="14cm" '
    'presentation:class="footer"><draw:text-box><text:p text:style-name="MP1"><presentation:footer/></text:p>'
    '</draw:text-box></draw:frame>'
    '<presentation:notes><draw:page-thumbnail presentation:class="page"/><draw:frame presentation:class="notes" '
    'presentation:placeholder="true"><draw:text-box/></draw:frame></presentation:notes>'
    '</style:master-page></office:master-styles>\n'
    '</office:document-styles>'
)

# --- a hand-built spreadsheet: strings, numbers, a date, formulas, strings that formulas, a validation list, a
# named expression and a filter spell out, an annotation, a text box, input help, a header and a footer --------

ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-content {ROOT}><office:automatic-styles>\n'
    '<style:style style:name="co1" style:family="table-column">'
    '<style:table-column-properties style:column-width="5cm"/></style:style>\n'
    '<style:style style:name="ta1" style:family="table" style:master-page-name="Default">'
    '<style:table-properties table:display="true" style:writing-mode="lr-tb"/></style:style>\n'
    '<style:style style:name="ce1" style:family="table-cell"><style:table-cell-properties '
    'style:text-align-source="fix"/><style:paragraph-properties fo:text-align="start"/></style:style>\n'
    '<style:style style:name="gr1" style:family="graphic"><style:graphic-properties draw:fill="none"/></style:style>\n'
    '<style:style style:name="P1" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/>'
    '</style:style>\n'
    '<style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>\n'
    '</office:automatic-styles><office:body><office:spreadsheet>\n'
    '<table:content-validations><table:content-validation table:name="val1" '
    'table:condition="of:cell-content-is-in-list(&quot;Open&quot;;&quot;Closed&quot;)" table:allow-empty-cell="true" '
    'table:display-list="unsorted" table:base-cell-address="Budget.B4">'
    '<table:help-message table:title="Status" table:display="true"><text:p>Pick a status from the list.</text:p>'
    '</table:help-message><table:error-message table:title="Not allowed" table:message-type="stop" '
    'table:display="true"><text:p>Choose one of the two.</text:p></table:error-message>'
    '</table:content-validation></table:content-validations>\n'
    '<table:table table:name="Budget" table:style-name="ta1">'
    '<table:shapes><draw:frame draw:style-name="gr1" draw:z-index="0" svg:width="5cm" svg:height="2cm" '
    'svg:x="16cm" svg:y="1cm"><draw:text-box><text:p text:style-name="P1">A text box on the sheet</text:p>'
    '</draw:text-box></draw:frame></table:shapes>'
    '<table:table-column table:style-name="co1" table:number-columns-repeated="3"/>\n'
    '<table:table-row><table:table-cell office:value-type="string" calcext:value-type="string"><text:p>Yes</text:p>'
    '</table:table-cell><table:table-cell table:formula="of:=IF([.A1]=&quot;Yes&quot;;1;0)" office:value-type="float" '
    'office:value="1" calcext:value-type="float"><text:p>1</text:p></table:table-cell>'
    '<table:table-cell table:formula="of:=&quot;Total&quot;&amp;&quot; cost&quot;" office:value-type="string" '
    'office:string-value="Total cost" calcext:value-type="string"><text:p>Total cost</text:p></table:table-cell>'
    '</table:table-row>\n'
    '<table:table-row><table:table-cell table:style-name="ce1" office:value-type="string" calcext:value-type="string">'
    '<text:p>Quarterly budget</text:p><office:annotation><dc:creator>Ann Author</dc:creator>'
    '<dc:date>2024-01-01T00:00:00</dc:date><text:p>Check these numbers.</text:p></office:annotation>'
    '</table:table-cell><table:table-cell office:value-type="float" office:value="12" calcext:value-type="float">'
    '<text:p>12 units</text:p></table:table-cell><table:table-cell office:value-type="date" '
    'office:date-value="2024-01-15" calcext:value-type="date"><text:p>Monday, January 15, 2024</text:p>'
    '</table:table-cell></table:table-row>\n'
    '<table:table-row><table:table-cell office:value-type="percentage" office:value="0.5"><text:p>50 percent</text:p>'
    '</table:table-cell><table:table-cell office:value-type="currency" office:currency="USD" office:value="3">'
    '<text:p>USD 3.00</text:p></table:table-cell><table:table-cell office:value-type="boolean" '
    'office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell></table:table-row>\n'
    '<table:table-row><table:table-cell><text:p>No value type</text:p></table:table-cell>'
    '<table:table-cell table:content-validation-name="val1" office:value-type="string"><text:p>Open</text:p>'
    '</table:table-cell><table:table-cell office:value-type="time" office:time-value="PT12H00M00S">'
    '<text:p>12:00 PM</text:p></table:table-cell></table:table-row>\n'
    '<table:table-row><table:table-cell office:value-type="string"><text:p>Net <text:span text:style-name="T1">'
    'profit</text:span> and <text:a xlink:href="https://example.com/" xlink:type="simple">the site</text:a></text:p>'
    '</table:table-cell><table:table-cell office:value-type="string" office:string-value="Plain value">'
    '<text:p>Plain value</text:p></table:table-cell><table:table-cell office:value-type="string">'
    '<text:p><text:s text:c="2"/>Two <text:s/>spaces</text:p><text:p>Second line</text:p></table:table-cell>'
    '</table:table-row>\n'
    '</table:table>\n'
    '<table:table table:name="Notes" table:style-name="ta1"><table:table-column table:style-name="co1"/>'
    '<table:table-row><table:table-cell office:value-type="string"><text:p>yes</text:p></table:table-cell>'
    '</table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>Pending</text:p>'
    '</table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="string">'
    '<text:p>Approved</text:p></table:table-cell></table:table-row><table:table-row>'
    '<table:table-cell office:value-type="string"><text:p>Notes for the reader</text:p></table:table-cell>'
    '</table:table-row></table:table>\n'
    '<table:named-expressions><table:named-range table:name="Budget_Area" table:base-cell-address="$Budget.$A$1" '
    'table:cell-range-address="$Budget.$A$1:.$C$5"/><table:named-expression table:name="Waiting" '
    'table:base-cell-address="$Budget.$A$1" table:expression="of:=&quot;Pending&quot;"/></table:named-expressions>\n'
    '<table:database-ranges><table:database-range table:name="__Anonymous_Sheet_DB__1" '
    'table:target-range-address="Notes.A1:Notes.A4" table:display-filter-buttons="true"><table:filter>'
    '<table:filter-condition table:field-number="0" table:value="Approved" table:operator="=" '
    'table:data-type="text"/></table:filter></table:database-range></table:database-ranges>\n'
    '</office:spreadsheet></office:body></office:document-content>'
)
# What the spreadsheet's formulas, list, named expression and filter spell out: cells showing these keep them.
SPELLED_OUT = frozenset(("yes", "total", " cost", "open", "closed", "pending", "approved"))
ODS_STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-styles {ROOT}><office:styles>\n'
    '<style:default-style style:family="table-cell"><style:paragraph-properties style:tab-stop-distance="1.25cm"/>'
    '<style:text-properties fo:font-size="10pt" fo:language="en" fo:country="US" style:language-asian="zh" '
    'style:country-asian="CN" style:language-complex="hi" style:country-complex="IN"/></style:default-style>\n'
    '<style:default-style style:family="graphic"><style:paragraph-properties style:writing-mode="page"/>'
    '<style:text-properties fo:language="en" fo:country="US"/></style:default-style>\n'
    '<style:style style:name="Default" style:family="table-cell"/>\n'
    '</office:styles><office:automatic-styles><style:page-layout style:name="Mpm1">'
    '<style:page-layout-properties style:writing-mode="lr-tb"/><style:header-style/><style:footer-style/>'
    '</style:page-layout></office:automatic-styles>\n'
    '<office:master-styles><style:master-page style:name="Default" style:page-layout-name="Mpm1"><style:header>'
    '<style:region-left><text:p><text:sheet-name>???</text:sheet-name><text:s/>budget</text:p></style:region-left>'
    '<style:region-right><text:p>Page <text:page-number>1</text:page-number></text:p></style:region-right>'
    '</style:header><style:footer><text:p>Internal use only</text:p></style:footer></style:master-page>'
    '</office:master-styles>\n'
    '</office:document-styles>'
)
MIMETYPE = "application/vnd.oasis.opendocument."


def members_of(kind: str) -> dict[str, str]:
    """The members of the built presentation or spreadsheet that are not the text's."""
    content, styles = {"presentation": (ODP_CONTENT, ODP_STYLES), "spreadsheet": (ODS_CONTENT, ODS_STYLES)}[kind]
    return {"mimetype": MIMETYPE + kind, "content.xml": content, "styles.xml": styles,
            "META-INF/manifest.xml": MANIFEST.replace(MIMETYPE + "text", MIMETYPE + kind)}


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\xff\x00\x00" * 2)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def build_package(path: Path, replace: dict[str, bytes | str] | None = None) -> None:
    """The hand-built document as LibreOffice packs one: mimetype first and stored, the rest deflated."""
    members = {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": CONTENT, "styles.xml": STYLES,
               "meta.xml": META_XML, "Pictures/flag.png": png(), "META-INF/manifest.xml": MANIFEST, **(replace or {})}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)


def bad_documents(folder: Path) -> dict[str, str]:
    """Broken and hostile packages beside the good ones -> the error each must report."""
    good = folder / "built.odt"
    data = good.read_bytes()
    (folder / "text.odt").write_text("just some text, not a zip")
    (folder / "truncated.odt").write_bytes(data[: len(data) // 2])
    build_package(folder / "bomb.odt", {"Pictures/zeros.bin": b"\0" * (64 << 20)})  # 64 MiB packed into ~64 KiB
    build_package(folder / "slip.odt", {"../../evil.txt": "outside"})
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    laughs = CONTENT.split("?>", 1)[1].replace("Introduction<", "&l9;<", 1)
    build_package(folder / "laughs.odt", {"content.xml": f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{lol}]>'
                                                         + laughs})
    build_package(folder / "dtd.odt", {"content.xml": CONTENT.replace("?>", '?><!DOCTYPE office:document-content>', 1)})
    build_package(folder / "sheet.odt", {"content.xml": CONTENT.replace("office:text>", "office:spreadsheet>")})
    build_package(folder / "spaces.odt", {"content.xml": CONTENT.replace('text:c="4"', 'text:c="999999999"')})
    build_package(folder / "encrypted.odt", {"META-INF/manifest.xml": MANIFEST.replace(
        'manifest:media-type="text/xml"/>', 'manifest:media-type="text/xml"><manifest:encryption-data/>'
        "</manifest:file-entry>", 1)})
    drawing = ODP_CONTENT.replace("office:presentation>", "office:drawing>")
    build_package(folder / "drawing.odp", {**members_of("presentation"), "mimetype": MIMETYPE + "graphics",
                                           "content.xml": drawing})
    build_package(folder / "slides.ods", {**members_of("spreadsheet"), "content.xml": ODP_CONTENT})
    with zipfile.ZipFile(folder / "workbook.ods", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return {"text.odt": "not a readable OpenDocument package", "truncated.odt": "not a readable OpenDocument package",
            "bomb.odt": "zip bomb", "slip.odt": "unsafe zip member name", "laughs.odt": "entity",
            "dtd.odt": "content.xml: has a DTD", "sheet.odt": "not an OpenDocument text: its body holds spreadsheet",
            "spaces.odt": "text:s with text:c='999999999'",
            "encrypted.odt": "password-protected",
            "drawing.odp": "its mimetype is 'application/vnd.oasis.opendocument.graphics': not an OpenDocument text, "
                           "presentation or spreadsheet",
            "slides.ods": "not an OpenDocument spreadsheet: its body holds presentation",
            "workbook.ods": "no content.xml in the package: not an OpenDocument file but an Excel workbook"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_api) -> dict:
    """The corpus (where present) and the built documents translated once per engine: identity into French,
    pseudo into French and Arabic with the bad documents beside them. text.ods is the built text named as a
    spreadsheet: its mimetype says what it is."""
    root = tmp_path_factory.mktemp("odt")
    good, mixed = root / "good", root / "mixed"
    good.mkdir()
    build_package(good / "built.odt")
    build_package(good / "text.ods")
    build_package(good / "built.odp", members_of("presentation"))
    build_package(good / "built.ods", members_of("spreadsheet"))
    for path in ODT:
        shutil.copy(path, good / path.name)
    shutil.copytree(good, mixed)
    bad = bad_documents(mixed)
    code, rows = run_cli(good, root / "identity", "identity", "fr")
    assert code == 0 and [(r["status"], r["error"]) for r in rows if r["status"] != "ok"] == []
    assert all(r["n_spans_lost"] == 0 for r in rows)
    pseudo_code, pseudo_rows = run_cli(mixed, root / "pseudo", "pseudo", "fr,ar")
    return {"source": good, "identity": root / "identity" / "fr", "pseudo": root / "pseudo" / "fr",
            "pseudo-ar": root / "pseudo" / "ar", "pseudo_code": pseudo_code, "pseudo_rows": pseudo_rows, "bad": bad,
            "root": root}


DOCUMENTS = with_corpus([pytest.param(p, id=p.name) for p in ODT])
# The corpus and the built documents (by name), for the tests every document must pass.
EVERY = [*DOCUMENTS, *(pytest.param(name, id=name) for name in ("built.odt", "text.ods", "built.odp", "built.ods"))]
# The family of the default style a document's text takes its language and direction from, by its kind.
DEFAULT_FAMILY = {"text": "paragraph", "presentation": "graphic", "spreadsheet": "table-cell"}


def source_of(runs: dict, path: Path | str) -> Path:
    return runs["source"] / path if isinstance(path, str) else path


def kind_of(path: Path) -> str:
    """What the document is: the last word of its mimetype (text, presentation, spreadsheet)."""
    with zipfile.ZipFile(path) as z:
        return z.read("mimetype").decode().removeprefix(MIMETYPE)


def spelled_out(path: Path) -> frozenset[str]:
    """The strings whose cells keep them, for check_package."""
    return SPELLED_OUT if path.name == "built.ods" else frozenset()


# --- comparing packages -------------------------------------------------------------------------------


def members(path: Path) -> list[tuple[str, int]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, i.compress_type) for i in z.infolist()]


def flows(element: etree._Element, kept: set[etree._Element]) -> bool:
    """Whether the element's text is running text of a paragraph (the paragraph or a span, link or meta in it)
    that is translated: not one of `kept`, not deleted text."""
    while element.tag in WRAPPERS:
        element = element.getparent()
    return (element.tag in PARAGRAPHS and element not in kept
            and next(element.iterancestors(t("tracked-changes"), tb("tracked-changes")), None) is None)


def kept_paragraphs(root: etree._Element, name: str, kind: str, literals: set[str]) -> set[etree._Element]:
    """Paragraphs whose text stays: a presentation's master pages (styles.xml); a spreadsheet cell's when its text
    is a value: a formula's result, a number, date or truth value formatted, a string in `literals` (casefolded)."""
    if kind == "presentation" and name == "styles.xml":
        return set(root.iter(*PARAGRAPHS))
    kept: set[etree._Element] = set()
    for cell in root.iter(tb("table-cell"), tb("covered-table-cell")) if kind == "spreadsheet" else ():
        paragraphs = list(cell.iterchildren(t("p")))
        if (cell.get(tb("formula")) or cell.get(f"{{{OFFICE}}}value-type", "string") != "string"
                or "\n".join(odf_text(p) for p in paragraphs).casefold() in literals):
            kept.update(paragraphs)
    return kept


def paragraph_of(element: etree._Element) -> etree._Element:
    while element.tag not in PARAGRAPHS:
        element = element.getparent()
    return element


def shape(root: etree._Element, ignored: set[str],
          kept: set[etree._Element]) -> tuple[list[tuple], dict[etree._Element, str], list[str]]:
    """Per node: its path, tag, attributes (less `ignored`) and kept text; running text and the translated
    element texts and attributes only by length, their text gathered per paragraph and in order. A string cell's
    office:string-value is translated with its paragraph."""
    tree = root.getroottree()
    nodes: list[tuple] = []
    running: dict[etree._Element, str] = {}
    translated: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            nodes.append((tree.getpath(el.getparent()), "comment", el.text, el.tail))
            continue
        kinds = ATTRIBUTES.get(el.tag, set())
        if el.tag == tb("table-cell") and any(flows(p, kept) for p in el.iterchildren(t("p"))):
            kinds = {f"{{{OFFICE}}}string-value"}
        attributes = {k: (len(v) if k in kinds else v) for k, v in el.attrib.items() if k not in ignored}
        translated += [v for k, v in el.attrib.items() if k in kinds]
        text, tail = el.text, el.tail
        if flows(el, kept) and text:
            running[paragraph_of(el)] = running.get(paragraph_of(el), "") + text
            text = len(text)
        elif text and (el.tag in TEXTS or el.tag in FIELDS and text in {el.get(a) for a in kinds}):
            translated.append(text)
            text = len(text)
        parent = el.getparent()
        if parent is not None and flows(parent, kept) and tail:
            running[paragraph_of(parent)] = running.get(paragraph_of(parent), "") + tail
            tail = len(tail)
        nodes.append((tree.getpath(el), el.tag, attributes, text, tail))
    return nodes, running, translated


def check_part(name: str, before: bytes, after: bytes, pseudo_run: bool, ignored: set[str], kind: str = "text",
               literals: frozenset[str] = frozenset()) -> None:
    """Same tree, attributes and kept text; running text and translated texts as the engine makes them."""
    old, new = etree.fromstring(before), etree.fromstring(after)
    old_nodes, old_running, old_texts = shape(old, ignored, kept_paragraphs(old, name, kind, literals))
    new_nodes, new_running, new_texts = shape(new, ignored, kept_paragraphs(new, name, kind, literals))
    for a, b in zip(old_nodes, new_nodes):
        assert a == b, f"{name}: {a[0]} differs:\n  source {a}\n  output {b}"
    assert len(old_nodes) == len(new_nodes), f"{name}: {len(old_nodes)} nodes became {len(new_nodes)}"
    paths = old.getroottree().getpath
    for (p, a), b in zip(old_running.items(), new_running.values()):
        assert pseudo_or_kept(a, b) if pseudo_run else a == b, f"{name}: {paths(p)}: {a!r} became {b!r}"
    for a, b in zip(old_texts, new_texts):
        assert pseudo_or_kept(a, b) if pseudo_run else a == b, f"{name}: {a!r} became {b!r}"


def check_package(source: Path, output: Path, pseudo_run: bool = False, rtl: bool = False, kind: str = "text",
                  literals: frozenset[str] = frozenset()) -> None:
    """Every member back in its place with its compression (mimetype first and stored); the parts with text
    and styles with the same tree, every other member (embedded charts, settings, pictures) byte for byte.
    `kind` and `literals`: what kept_paragraphs needs."""
    assert members(output) == members(source)
    assert members(output)[0] == ("mimetype", zipfile.ZIP_STORED)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(output) as zout:
        for name in zin.namelist():
            before, after = zin.read(name), zout.read(name)
            if name in ("content.xml", "styles.xml", "meta.xml"):
                check_part(name, before, after, pseudo_run, RTL if rtl else LANGUAGE, kind, literals)
            else:
                assert after == before, f"{name} changed"


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def default_style(path: Path, family: str = "paragraph") -> etree._Element:
    return part(path, "styles.xml").find(f"office:styles/style:default-style[@style:family='{family}']", NS)


def languages(path: Path, attribute: str) -> set[str]:
    """The values of a language attribute in the styles of styles.xml and content.xml."""
    return {p.get(attribute) for name in ("styles.xml", "content.xml")
            for p in part(path, name).iter(s("text-properties")) if p.get(attribute) is not None}


# --- the corpus and the built document through the CLI --------------------------------------------------


@pytest.mark.parametrize("path", EVERY)
def test_identity_round_trip(runs, path) -> None:
    source = source_of(runs, path)
    output = runs["identity"] / source.name
    kind = kind_of(source)
    check_package(source, output, kind=kind, literals=spelled_out(source))
    properties = default_style(output, DEFAULT_FAMILY[kind]).find("style:text-properties", NS)
    assert (properties.get(f"{{{FO}}}language"), properties.get(f"{{{FO}}}country")) == ("fr", "FR")
    assert languages(output, f"{{{FO}}}language") <= {"fr", "zxx"}


@pytest.mark.parametrize("path", EVERY)
def test_pseudo_translates_every_letter_and_nothing_else(runs, path) -> None:
    source = source_of(runs, path)
    check_package(source, runs["pseudo"] / source.name, pseudo_run=True, kind=kind_of(source),
                  literals=spelled_out(source))


@pytest.mark.parametrize("path", EVERY)
def test_right_to_left_target_is_marked_as_libreoffice_expects(runs, path) -> None:
    """Into Arabic the default paragraph style (a presentation's: of shapes) reads right to left, aligned at
    its start (end, as LibreOffice lays it out), and every sheet of a spreadsheet reads right to left; the
    default style names Arabic in the complex-script attributes (where LibreOffice looks for an Arabic text's
    language); no style or page says left to right."""
    source = source_of(runs, path)
    output = runs["pseudo-ar"] / source.name
    kind = kind_of(source)
    check_package(source, output, pseudo_run=True, rtl=True, kind=kind, literals=spelled_out(source))
    default = default_style(output, DEFAULT_FAMILY[kind])
    if kind == "spreadsheet":
        content = part(output, "content.xml")
        for table in content.iterfind("office:body/office:spreadsheet/table:table", NS):
            name = table.get(tb("style-name"))
            style = content.find(f"office:automatic-styles/style:style[@style:name='{name}']", NS)
            assert style.find("style:table-properties", NS).get(s("writing-mode")) == "rl-tb"
    else:
        before = default_style(source, DEFAULT_FAMILY[kind]).find("style:paragraph-properties", NS)
        after = default.find("style:paragraph-properties", NS)
        assert after.get(s("writing-mode")) == "rl-tb"
        if before is None or before.get(f"{{{FO}}}text-align") is None:
            assert after.get(f"{{{FO}}}text-align") == "end"
    text = default.find("style:text-properties", NS)
    assert (text.get(s("language-complex")), text.get(s("country-complex"))) == ("ar", "SA")
    assert languages(output, s("language-complex")) <= {"ar", "zxx"}
    assert languages(output, f"{{{FO}}}language") == languages(source, f"{{{FO}}}language")  # Latin words keep theirs
    for name in ("styles.xml", "content.xml"):
        modes = {e.get(s("writing-mode")) for e in part(output, name).iter() if e.get(s("writing-mode"))}
        assert not modes & {"lr-tb", "lr"}, (name, modes)
        for properties in part(output, name).iter(s("text-properties")):  # bold Latin text: bold Arabic text
            for latin in ("font-weight", "font-style", "font-size"):
                if properties.get(f"{{{FO}}}{latin}"):
                    assert properties.get(s(f"{latin}-complex")), (name, dict(properties.attrib))


def test_bad_documents_fail_alone(runs) -> None:
    assert runs["pseudo_code"] == 1
    rows = runs["pseudo_rows"]
    errors = {Path(r["source"]).name: r["error"] for r in rows if r["status"] != "ok"}
    assert all(r["n_spans_lost"] == 0 for r in rows if r["status"] == "ok")
    assert {Path(r["source"]).name for r in rows if r["status"] == "ok"} == {p.name for p in runs["source"].iterdir()}
    assert set(errors) == set(runs["bad"])
    for name, message in runs["bad"].items():
        assert message in errors[name], (name, errors[name])
        assert not (runs["pseudo"] / name).exists() and not (runs["pseudo-ar"] / name).exists()
    assert not list(runs["root"].rglob("evil.txt"))


def test_built_document_comes_through_translated(runs) -> None:
    """What is translated (running text in notes, boxes, comments, lists, tables, sections, indexes, headers
    and footers; hidden text; image titles; properties) and what is kept (fields, note citations,
    conditions, deleted text, names)."""
    output = runs["pseudo"] / "built.odt"
    body = part(output, "content.xml")
    texts = [odf_text(p) for p in body.iter(t("p"), t("h"))]
    for sentence in ("The quick brown fox jumps over the lazy dog.", "Introduction", "A footnote about foxes.",
                     "Text in a box.", "First item", "Cell text here", "Text in a section.", "A remark on the text.",
                     "A paragraph hidden by a condition.", "Introduction\t1", "Table of Contents"):
        assert pseudo(sentence) in texts, sentence
    assert "Deleted words stay as they were." in texts
    assert body.find(".//text:note-citation", NS).text == "1"
    assert body.find(".//text:page-number", NS).text == "1"
    assert body.find(".//text:bookmark-ref", NS).text == "Introduction"
    assert body.find(".//text:variable-get", NS).text == "report"
    hidden = body.find(".//text:hidden-text", NS)
    assert (hidden.get(t("string-value")), hidden.text, hidden.get(t("condition"))) == (
        pseudo("unless hidden"), pseudo("unless hidden"), "ooow:0")
    conditional = body.find(".//text:conditional-text", NS)
    assert (conditional.get(t("string-value-if-true")), conditional.get(t("string-value-if-false"))) == (
        pseudo("if true"), pseudo("if false"))
    assert body.find(".//text:hidden-paragraph", NS).get(t("condition")) == "ooow:1"
    assert [body.find(f".//svg:{n}", NS).text for n in ("title", "desc")] == [pseudo("Red flag"),
                                                                           pseudo("A red flag on a pole")]
    assert body.find(".//text:index-title-template", NS).text == pseudo("Table of Contents")
    mark = body.find(".//text:alphabetical-index-mark", NS)
    assert (mark.get(t("string-value")), mark.get(t("key1"))) == (pseudo("section"), pseudo("parts of a document"))
    assert {a.get(f"{{{OFFICE}}}title") for a in body.iter(t("a"))} == {None, pseudo("Our home page")}
    assert body.find(".//office:annotation/dc:creator", NS).text == "Ann Author"
    spaced = next(p for p in body.iter(t("p")) if p.find("text:tab", NS) is not None and p.find("text:a", NS) is None)
    assert [e.get(t("c")) for e in spaced.iter(t("s"))] == [None, "2"]
    assert odf_text(spaced) == pseudo("Two  spaces, three   spaces,\ta tab\nand a new line. Next page.")
    styles = part(output, "styles.xml")
    assert [odf_text(p) for p in styles.iter(t("p"))] == [pseudo("Confidential header text"),
                                                                     pseudo("Page ") + "1"]
    meta = part(output, "meta.xml").find("office:meta", NS)
    assert [e.text for e in meta] == [pseudo("A test document"), pseudo("Testing"),
                                      pseudo("A document with every construct."), pseudo("fox"), "Ann Author",
                                      "babelflow tests"]


def test_built_presentation_comes_through_translated(runs) -> None:
    """What is translated (titles, lists, shapes and their titles, tables, groups, notes, the footer the slides
    show) and what is kept (slide names and the links that name them, fields, the master page's template
    text); into Arabic, paragraphs aligned at their start stay at it."""
    output = runs["pseudo"] / "built.odp"
    body = part(output, "content.xml")
    texts = [odf_text(p) for p in body.iter(t("p"))]
    assert texts == [pseudo(text) for text in (
        "Quarterly results", "Sales grew in every region, see the full report.", "Costs stayed flat.", "Next steps",
        "Speaker notes: thank the team.", "Region", "Sales", "North")] + ["12"] + [pseudo(text) for text in (
            "Grouped text box", "Grouped rectangle")] + [pseudo("Back to the start (slide ") + "2)",
                                                          pseudo("Second slide notes.")]
    assert body.find(".//presentation:footer-decl", NS).text == pseudo("Company confidential")
    assert [body.find(f".//svg:{n}", NS).text for n in ("title", "desc")] == [pseudo("Arrow"),
                                                                           pseudo("An arrow pointing right")]
    draw = NS["draw"]
    assert [page.get(f"{{{draw}}}name") for page in body.iter(f"{{{draw}}}page")] == ["Title Slide", "page2"]
    assert {a.get("{http://www.w3.org/1999/xlink}href") for a in body.iter(t("a"))} == {
        "https://example.com/report", "#Title Slide"}
    assert [odf_text(p) for p in part(output, "styles.xml").iter(t("p"))] == [
        "Click to edit the title text format", ""]
    arabic = runs["pseudo-ar"] / "built.odp"
    styles = {e.get(s("name")): e.find("style:paragraph-properties", NS)
              for e in part(arabic, "content.xml").iter(s("style"))}
    assert [(styles[n].get(f"{{{FO}}}text-align"), styles[n].get(s("writing-mode"))) for n in ("P1", "P2")] == [
        ("end", "rl-tb"), ("center", None)]


def cells(path: Path) -> dict[str, list[str]]:
    """Per sheet, the text of each cell that has some, its paragraphs a line each."""
    body = part(path, "content.xml").find("office:body/office:spreadsheet", NS)
    return {table.get(tb("name")): [text for cell in table.iter(tb("table-cell"))
                                    if (text := "\n".join(odf_text(p) for p in cell.iterchildren(t("p"))))]
            for table in body.iterfind("table:table", NS)}


def test_built_spreadsheet_comes_through_translated(runs) -> None:
    """What is translated (string cells, rich or plain, a line each; annotations, a text box, input help,
    headers and footers) and what is kept (formulas' results, numbers, dates, times, truth values, the strings
    formulas, lists, named expressions and filters spell out, sheet and range names)."""
    output = runs["pseudo"] / "built.ods"
    assert cells(output) == {
        "Budget": ["Yes", "1", "Total cost", pseudo("Quarterly budget"), "12 units", "Monday, January 15, 2024",
                   "50 percent", "USD 3.00", "TRUE", pseudo("No value type"), "Open", "12:00 PM",
                   pseudo("Net profit and the site"), pseudo("Plain value"), pseudo("  Two  spaces\nSecond line")],
        "Notes": ["yes", "Pending", "Approved", pseudo("Notes for the reader")]}
    body = part(output, "content.xml")
    values = [c.get(f"{{{OFFICE}}}string-value") for c in body.iter(tb("table-cell"))]
    assert [v for v in values if v] == ["Total cost", pseudo("Plain value")]  # the plain cell's value with its text
    assert [odf_text(p) for p in body.iter(t("p")) if p.getparent().tag != tb("table-cell")] == [
        pseudo("Pick a status from the list."), pseudo("Choose one of the two."), pseudo("A text box on the sheet"),
        pseudo("Check these numbers.")]
    assert [e.get(tb("title")) for e in body.iter(tb("help-message"), tb("error-message"))] == [
        pseudo("Status"), pseudo("Not allowed")]
    assert body.find(".//office:annotation/dc:creator", NS).text == "Ann Author"
    assert [e.get(tb("name")) for e in body.iter(tb("table"), tb("named-range"), tb("named-expression"))] == [
        "Budget", "Notes", "Budget_Area", "Waiting"]
    styles = part(output, "styles.xml")
    assert [odf_text(p) for p in styles.iter(t("p"))] == ["???" + pseudo(" budget"), pseudo("Page ") + "1",
                                                          pseudo("Internal use only")]
    arabic = part(runs["pseudo-ar"] / "built.ods", "content.xml")
    cell_style = arabic.find("office:automatic-styles/style:style[@style:name='ce1']/style:paragraph-properties", NS)
    assert cell_style.get(f"{{{FO}}}text-align") == "start"  # a cell keeps its alignment, as Calc keeps it


def test_spreadsheet_blocks_are_the_text_a_reader_sees(runs) -> None:
    """The blocks of the spreadsheet in document order: a cell's paragraphs as Calc reads them (every space
    as it is), the fields of a header as objects."""
    doc = parsed((runs["source"] / "built.ods").read_bytes())
    assert [b.text for b in doc.blocks] == [
        "Status", "Pick a status from the list.", "Not allowed", "Choose one of the two.", "A text box on the sheet",
        "Quarterly budget", "Check these numbers.", "No value type", "Net profit and the site", "Plain value",
        "  Two  spaces", "Second line", "Notes for the reader", " budget", "Page ", "Internal use only",
        "A test document", "Testing", "A document with every construct.", "fox"]


def test_sheets_without_a_style_read_right_to_left(runs) -> None:
    """Into Arabic a sheet without a style gets one that reads right to left (pandas and odfpy write sheets
    without one)."""
    from babelflow.tasks.formats import odt

    data = (runs["source"] / "built.ods").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        content = z.read("content.xml").decode().replace(' table:style-name="ta1"', "")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, content if info.filename == "content.xml" else zin.read(info.filename))
    doc = parsed(out.getvalue())
    root = part_of(odt.render(doc, [None] * len(doc.blocks), "ar_AR"))
    names = [table.get(tb("style-name")) for table in root.iterfind("office:body/office:spreadsheet/table:table", NS)]
    assert names == ["ta2", "ta3"]
    for name in names:
        style = root.find(f"office:automatic-styles/style:style[@style:name='{name}']", NS)
        assert style.get(s("family")) == "table"
        assert style.find("style:table-properties", NS).get(s("writing-mode")) == "rl-tb"


# --- rendering what an engine may write ------------------------------------------------------------------


def parsed(data: bytes, src_lang: str = "en_XX"):
    from babelflow.documents import Document
    from babelflow.tasks.formats import FormatOptions
    from babelflow.tasks.formats import odt

    result = odt.parse(data, FormatOptions())
    return Document("in.odt", "in.odt", "odt", result.blocks, result.skeleton, src_lang=src_lang)


def built_bytes(tmp_path: Path) -> bytes:
    build_package(tmp_path / "built.odt")
    return (tmp_path / "built.odt").read_bytes()


@pytest.mark.parametrize("text", ["Deux  espaces  ici", "  au début", "à la fin  ", "un\tdeux\t\ttrois",
                                  "ligne\n  suivante", "a \t b", "trois   \n   espaces", "\n\nfin"])
def test_spaces_come_back_as_written(tmp_path, text) -> None:
    """A translation's spaces, tabs and line breaks are written so that they read back as they are: no
    literal space where ODF collapses it (at the start, after a space), text:s instead."""
    from babelflow.documents import Block
    from babelflow.tasks.formats import odt

    doc = parsed(built_bytes(tmp_path))
    i = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("The quick"))
    blocks: list = [None] * len(doc.blocks)
    blocks[i] = Block(text, [])
    out = odt.render(doc, blocks, "fr_XX")
    assert parsed(out).blocks[i].text == text
    paragraph = next(p for p in part_of(out).iter(t("p")) if p.get(t("style-name")) == "P1")
    assert odf_text(paragraph) == text
    literal = [paragraph.text or "", *(e.tail or "" for e in paragraph)]
    assert not literal[0].startswith(" ") and not any("  " in node for node in literal), literal


def odf_text(element: etree._Element) -> str:
    """What a reader sees of a paragraph written without collapsible white space: its text with text:s,
    text:tab and text:line-break spelled out (in spans and links too); other elements by their text."""
    chars = {t("tab"): "\t", t("line-break"): "\n"}
    out = [element.text or ""]
    for el in element:
        if el.tag == t("s"):
            out.append(" " * int(el.get(t("c"), "1")))
        elif el.tag in chars:
            out.append(chars[el.tag])
        else:
            out.append(odf_text(el) if el.tag in WRAPPERS else "".join(el.itertext()))
        out.append(el.tail or "")
    return "".join(out)


def part_of(data: bytes, name: str = "content.xml") -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read(name))


def test_reordered_translation_keeps_markup_well_formed(tmp_path) -> None:
    """A translation that moves the bold words, splits the link and the annotated range: spans copied per
    piece (an xml:id only on the first copy), every object placed once, nothing lost."""
    from babelflow.documents import Block
    from babelflow.tasks.formats import odt

    doc = parsed(built_bytes(tmp_path))
    i = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("The quick"))
    j = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("Visit"))
    k = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("See the note"))
    bold, meta = (next(r for a, b, r in doc.blocks[i].spans if doc.blocks[i].text[a:b] == w) for w in ("brown fox",
                                                                                                       "lazy dog"))
    link = next(r for a, b, r in doc.blocks[j].spans if doc.blocks[j].text[a:b] == "our website")
    note = next(r for a, b, r in doc.blocks[k].spans if a == b)
    blocks = [None] * len(doc.blocks)
    blocks[i] = Block("Le chien paresseux et le renard brun", [(3, 9, meta), (22, 29, meta), (0, 12, bold)])
    blocks[j] = Block("Voir notre site web ici", [(5, 10, link), (19, 23, link)])
    blocks[k] = Block("Voir ici la note", [(16, 16, note), (4, 4, note)])
    out = odt.render(doc, blocks, "de_DE")
    assert odt.render(doc, blocks, "de_DE") == out, "render does not change the skeleton"
    body = part_of(out)
    first = next(p for p in body.iter(t("p")) if "".join(p.itertext()).startswith("Le chien"))
    assert [("".join(e.itertext()), e.get("{http://www.w3.org/XML/1998/namespace}id")) for e in first.iter(t("meta"))
            ] == [("chien ", "m1"), ("le rena", None)]
    assert ["".join(e.itertext()) for e in first.iter(t("span"))] == ["Le chien par"]
    second = next(p for p in body.iter(t("p")) if "".join(p.itertext()).startswith("Voir notre"))
    assert ["".join(a.itertext()) for a in second.iter(t("a"))] == ["notre", " ici"]
    assert {a.get("{http://www.w3.org/1999/xlink}href") for a in second.iter(t("a"))} == {"https://example.com/"}
    third = next(p for p in body.iter(t("p")) if p.text == "Voir")  # placed twice by the engine, written once
    assert [(e.tag, e.tail) for e in third] == [(t("note"), " ici la note")]
    assert [b.text for b in parsed(out).blocks if b.text.startswith("Voir")] == ["Voir notre site web ici",
                                                                                  "Voir ici la note"]
    source = built_bytes(tmp_path)
    untouched = odt.render(doc, [None] * len(doc.blocks), "fr_XX")
    check_part("content.xml", part_bytes(source), part_bytes(untouched), False, LANGUAGE)


def part_bytes(data: bytes, name: str = "content.xml") -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


@pytest.mark.parametrize(("tgt", "attributes"), [
    ("fr_XX", {"{%s}language" % FO: "fr", "{%s}country" % FO: "FR"}),
    ("de_DE", {"{%s}language" % FO: "de", "{%s}country" % FO: "DE"}),
    ("zh_CN", {s("language-asian"): "zh", s("country-asian"): "CN"}),
    ("ja_XX", {s("language-asian"): "ja", s("country-asian"): "JP"}),
    ("ko_KR", {s("language-asian"): "ko", s("country-asian"): "KR"}),
    ("zho_Hant", {s("language-asian"): "zh", s("country-asian"): None, s("script-asian"): "Hant",
                  s("rfc-language-tag-asian"): "zh-Hant"}),
    ("hi_IN", {s("language-complex"): "hi", s("country-complex"): "IN"}),
    ("th_TH", {s("language-complex"): "th", s("country-complex"): "TH"}),
    ("he_IL", {s("language-complex"): "he", s("country-complex"): "IL"}),
    ("ar_AR", {s("language-complex"): "ar", s("country-complex"): "SA"}),
    ("srp_Cyrl", {"{%s}language" % FO: "sr", "{%s}country" % FO: None, "{%s}script" % FO: "Cyrl",
                  s("rfc-language-tag"): "sr-Cyrl"}),
    ("ast_Latn", {"{%s}language" % FO: "ast", "{%s}country" % FO: "none"})])
def test_language_in_the_attributes_of_its_script(tmp_path, tgt, attributes) -> None:
    """The target names the language of its script class (Latin..., Asian, complex) in the default paragraph
    style and in every style that named one of that class, as LibreOffice writes it (None: no such attribute);
    the other classes keep theirs."""
    from babelflow.tasks.formats import odt

    source = built_bytes(tmp_path)
    out = odt.render(parsed(source), [None] * len(parsed(source).blocks), tgt)
    before = part_of(source, "styles.xml").find("office:styles/style:default-style/style:text-properties", NS)
    after = part_of(out, "styles.xml").find("office:styles/style:default-style/style:text-properties", NS)
    cls = next((c for c in ("asian", "complex") if any(k.endswith(c) for k in attributes)), None)
    twin = {s(f"font-size-{cls}"): "12pt"} if cls else {}  # the size set for Latin text reaches the target's script
    expected = {k: v for k, v in {**before.attrib, **attributes, **twin}.items() if v is not None}
    assert dict(after.attrib) == expected
    italic = part_of(out).find("office:automatic-styles/style:style[@style:name='T2']/style:text-properties", NS)
    western = {k: v for k, v in attributes.items() if k.startswith(f"{{{FO}}}") or k == s("rfc-language-tag")}
    assert {k: italic.get(k) for k in western} == western
    link = part_of(out, "styles.xml").find("office:styles/style:style[@style:name='Internet_20_link']/"
                                           "style:text-properties", NS)
    assert link.get(f"{{{FO}}}language") == "zxx"


def test_right_to_left_source_into_left_to_right_target(runs) -> None:
    """The Arabic output translated into French reads left to right again, by default and wherever a style
    or a page said right to left, aligned at its start again; a left-to-right source into French keeps its
    direction as it was."""
    from babelflow.tasks.formats import odt

    doc = parsed((runs["pseudo-ar"] / "built.odt").read_bytes(), src_lang="ar_AR")
    out = odt.render(doc, list(doc.blocks), "fr_XX")
    for name in ("styles.xml", "content.xml"):
        modes = {e.get(s("writing-mode")) for e in part_of(out, name).iter() if e.get(s("writing-mode"))}
        assert not modes & {"rl-tb", "rl"}, (name, modes)
    default = part_of(out, "styles.xml").find("office:styles/style:default-style", NS)
    properties = default.find("style:paragraph-properties", NS)
    assert (properties.get(s("writing-mode")), properties.get(f"{{{FO}}}text-align")) == ("lr-tb", "start")
    french = part(runs["pseudo"] / "built.odt", "styles.xml").find("office:styles/style:default-style", NS)
    assert french.find("style:paragraph-properties", NS).get(s("writing-mode")) == "page"


def libreoffice_convert(work: Path, target: str, *paths: Path) -> str:
    """soffice of copies of `paths` in `work` (the outputs share a name); what it makes goes in work/converted."""
    work.mkdir(exist_ok=True)
    for path in paths:
        shutil.copy(path, work / path.name)
    return soffice(work, target, *(work / p.name for p in paths), timeout=180)


@pytest.mark.skipif(not libreoffice("sw"), reason="LibreOffice Writer (soffice) is not installed")
def test_libreoffice_converts_outputs(runs, tmp_path) -> None:
    """LibreOffice opens the French and the Arabic outputs and lays them out (PDF), reads the translated text
    and keeps the Arabic marking when it saves the document again (flat ODT)."""
    fr, ar = tmp_path / "fr.odt", tmp_path / "ar.odt"
    shutil.copy(runs["pseudo"] / "built.odt", fr)
    shutil.copy(runs["pseudo-ar"] / "built.odt", ar)
    log = libreoffice_convert(tmp_path / "work", "pdf", fr, ar)
    for name in ("fr.pdf", "ar.pdf"):
        pdf = tmp_path / "work" / "converted" / name
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000, log
    libreoffice_convert(tmp_path / "work", "fodt", ar)
    saved = etree.parse(str(tmp_path / "work" / "converted" / "ar.fodt")).getroot()
    default = saved.find("office:styles/style:default-style[@style:family='paragraph']", NS)
    assert default.find("style:paragraph-properties", NS).get(s("writing-mode")) == "rl-tb"
    assert default.find("style:text-properties", NS).get(s("language-complex")) == "ar"
    seen = "".join(saved.find("office:body", NS).itertext())
    assert pseudo("The quick brown fox jumps over the lazy dog.") in seen and "quick" not in seen


@pytest.mark.skipif(not libreoffice("sd"), reason="LibreOffice Impress (libreoffice-impress) is not installed")
def test_libreoffice_impress_keeps_the_arabic_presentation(runs, tmp_path) -> None:
    libreoffice_convert(tmp_path, "fodp", runs["pseudo-ar"] / "built.odp")
    saved = etree.parse(str(tmp_path / "converted" / "built.fodp")).getroot()
    default = saved.find("office:styles/style:default-style[@style:family='graphic']/style:paragraph-properties", NS)
    assert (default.get(s("writing-mode")), default.get(f"{{{FO}}}text-align")) == ("rl-tb", "end")
    assert pseudo("Speaker notes: thank the team.") in "".join(saved.find("office:body", NS).itertext())


@pytest.mark.skipif(not libreoffice("sc"), reason="LibreOffice Calc (libreoffice-calc) is not installed")
def test_libreoffice_calc_keeps_the_arabic_spreadsheet(runs, tmp_path) -> None:
    libreoffice_convert(tmp_path, "fods", runs["pseudo-ar"] / "built.ods")
    saved = etree.parse(str(tmp_path / "converted" / "built.fods")).getroot()
    for table in saved.iterfind("office:body/office:spreadsheet/table:table", NS):
        style = saved.find(f"office:automatic-styles/style:style[@style:name='{table.get(tb('style-name'))}']", NS)
        assert style.find("style:table-properties", NS).get(s("writing-mode")) == "rl-tb"
    seen = "".join(saved.find("office:body", NS).itertext())
    assert pseudo("Quarterly budget") in seen and "Quarterly" not in seen and "Yes" in seen
