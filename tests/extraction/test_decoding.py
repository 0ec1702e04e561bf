"""Robust decoding of fetched documents (RELIABILITY B7, B8)."""

from __future__ import annotations

import codecs
import io
import json
import struct
import zipfile
import zlib

import pypdf
import pytest

from extraction.decoding import IngestError, sniff_html, to_document
from tests.support.evaldata import PAGES_DIR as PAGES
from tests.support.evaldata import page_params
from tests.support.pdf import one_line_pdf


def encrypted_pdf(password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(one_line_pdf("Secret claim."))))
    writer.encrypt(user_password=password, owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )


def zipped() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("index.html", "<html><body><p>inside</p></body></html>")
    return out.getvalue()


def code_of(content: bytes, content_type: str, charset: str | None = None, **kw) -> str:
    with pytest.raises(IngestError) as excinfo:
        to_document(content, content_type, charset, **kw)
    assert excinfo.value.message.endswith(".")
    return excinfo.value.code


def assert_clean(value: str) -> None:
    value.encode("utf-8")  # no lone surrogates
    assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value)
    assert "\x7f" not in value


# --------------------------------------------------------------------------- B7: what is it?

HTML = b"<!DOCTYPE html><html><head><title>T</title></head><body><p>Hello</p></body></html>"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html",
        "text/html; charset=utf-8",
        "application/xhtml+xml",
        "",
        "text/plain",
        "application/octet-stream",
        "image/png",
        "application/json",
        "application/pdf",
        "TEXT/HTML",
    ],
)
def test_b7_html_is_accepted_whatever_the_content_type_says(content_type):
    document = to_document(HTML, content_type)
    assert document.kind == "html"
    assert document.html == HTML.decode()
    assert document.text is None


@pytest.mark.parametrize(
    "prefix",
    [
        b"<html>",
        b"  \n<HTML lang=de>",
        b"<!doctype html>",
        b"<!-- c -->\n<head>",
        b"<body>",
        b"<p>Text",
        b"<div class=x>",
        b"\xef\xbb\xbf<html>",
        b"junk before\n<html>",
        b"<?xml version='1.0'?>\n<!DOCTYPE html>",
    ],
)
def test_b7_html_is_sniffed_from_its_first_kilobyte(prefix):
    assert sniff_html(prefix + b"<p>x</p>")
    assert to_document(prefix + b"<p>text</p>", "application/octet-stream").kind == "html"


@pytest.mark.parametrize(
    "content", [b"Just words, no markup.", b"a < b and <pre> is not a tag we sniff", b'{"a": 1}']
)
def test_b7_plain_text_is_not_mistaken_for_html(content):
    assert not sniff_html(content)


def test_b7_plain_text_is_text():
    document = to_document("Grüße aus Köln.\n".encode(), "text/plain")
    assert (document.kind, document.text, document.html, document.charset) == (
        "text",
        "Grüße aus Köln.\n",
        None,
        "utf-8",
    )


def test_b7_a_pdf_becomes_text():
    document = to_document(one_line_pdf("The moon is made of cheese.", "Second page."), "application/pdf")
    assert document.kind == "pdf"
    assert "The moon is made of cheese." in document.text
    assert "Second page." in document.text
    assert document.html is None


@pytest.mark.parametrize("content_type", ["application/octet-stream", "", "text/html", "binary/octet-stream"])
def test_b7_a_pdf_is_recognised_by_its_magic_whatever_the_content_type(content_type):
    assert to_document(one_line_pdf("Claim text."), content_type).kind == "pdf"


def test_b7_pdf_pages_are_capped():
    document = to_document(
        one_line_pdf("page one", "page two", "page three"), "application/pdf", max_pdf_pages=2
    )
    assert "page two" in document.text
    assert "page three" not in document.text


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\n this is not really a pdf",
        one_line_pdf("x")[:200],
        b"%PDF-1.7\n" + b"\x00" * 500,
        encrypted_pdf("pw"),
    ],
    ids=["garbage", "truncated", "zeros", "encrypted"],
)
def test_b7_broken_or_encrypted_pdfs_are_parse_errors(content):
    assert code_of(content, "application/pdf") == "parse_error"


def test_b7_a_pdf_encrypted_with_an_empty_user_password_is_read():
    assert "Secret claim." in to_document(encrypted_pdf(""), "application/pdf").text


def test_b7_a_pdf_without_text_is_an_empty_document():
    assert code_of(one_line_pdf(""), "application/pdf") == "empty_document"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (png(), "image/png"),
        (png(), "text/html"),  # a lying header does not make an image HTML
        (png(), ""),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)), "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00" + bytes(50), "image/gif"),
        (zipped(), "application/zip"),
        (zipped(), "application/octet-stream"),
        (zipped(), "text/html"),
        (b"\x1f\x8b\x08\x00" + bytes(100), "application/gzip"),
        (bytes(range(256)) * 4, "application/octet-stream"),
        (bytes(range(256)) * 4, ""),
        (b'{"json": true}', "application/json"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    ],
)
def test_b7_images_archives_and_other_binaries_are_unsupported(content, content_type):
    assert code_of(content, content_type) == "unsupported_content_type"


@pytest.mark.parametrize("content", [b"", b"   \n\t  ", b"\xef\xbb\xbf", b"<html></html>\x00"[:0]])
def test_empty_bodies_are_empty_documents(content):
    assert code_of(content, "text/html") == "empty_document"


def test_oversized_documents_are_too_large():
    assert code_of(HTML * 10, "text/html", max_bytes=100) == "too_large"


# --------------------------------------------------------------------------- B8: charsets


def test_b8_header_utf8_but_bytes_latin1_is_repaired():
    content = "<p>Müller sagt: Größe zählt – für 5 €</p>".encode("cp1252")
    document = to_document(content, "text/html", "utf-8")
    assert document.html == "<p>Müller sagt: Größe zählt – für 5 €</p>"
    assert document.charset == "cp1252"


def test_b8_header_utf8_but_meta_windows_1252_and_latin1_bytes_uses_the_meta():
    content = (
        '<html><head><meta charset="windows-1252"></head><body><p>Café “quoted”</p></body></html>'.encode(
            "cp1252"
        )
    )
    document = to_document(content, "text/html; charset=utf-8")
    assert "Café “quoted”" in document.html


def test_b8_meta_charset_is_used_without_a_header():
    content = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>'
        "<body><p>naïve — déjà vu</p></body></html>"
    ).encode("cp1252")
    document = to_document(content, "text/html")
    assert "naïve — déjà vu" in document.html
    assert document.charset == "cp1252"


def test_b8_latin1_declared_but_utf8_bytes_are_read_as_utf8():
    content = "<p>Grüße, Zoë</p>".encode()
    document = to_document(content, "text/html", "iso-8859-1")
    assert document.html == "<p>Grüße, Zoë</p>"


def test_b8_iso_8859_1_means_windows_1252_as_on_the_web():
    document = to_document("<p>“smart quotes”</p>".encode("cp1252"), "text/html", "ISO-8859-1")
    assert document.html == "<p>“smart quotes”</p>"


def test_b8_a_bom_wins_over_declarations():
    content = codecs.BOM_UTF16_LE + "<html><body><p>Ünïcödé</p></body></html>".encode("utf-16-le")
    document = to_document(content, "text/html", "iso-8859-1")
    assert document.html == "<html><body><p>Ünïcödé</p></body></html>"
    assert to_document(codecs.BOM_UTF8 + "<p>é</p>".encode(), "text/html", "cp1252").html == "<p>é</p>"


def test_b8_unknown_and_utf16_labels_do_not_crash():
    assert to_document("<p>é</p>".encode(), "text/html", "no-such-charset").html == "<p>é</p>"
    assert (
        to_document(b'<meta charset="utf-16"><p>plain</p>', "text/html").html
        == '<meta charset="utf-16"><p>plain</p>'
    )


def test_b8_mostly_utf8_with_a_few_broken_bytes_keeps_utf8_and_replaces():
    content = "<p>Straße ".encode() + b"\xff\xfe" + " Köln</p>".encode()
    document = to_document(content, "text/html", "utf-8")
    assert document.html.startswith("<p>Straße ")
    assert document.html.endswith(" Köln</p>")
    assert "\ufffd" in document.html


def test_b8_no_declaration_at_all_is_guessed():
    text = "Die Bundesregierung hat am Dienstag beschlossen, dass die Förderung für Wärmepumpen steigt. " * 5
    document = to_document(f"<html><body><p>{text}</p></body></html>".encode("cp1252"), "")
    assert "Förderung für Wärmepumpen" in document.html


@pytest.mark.parametrize("kind", ["html", "text"])
def test_b8_nul_and_control_characters_are_removed(kind):
    raw = b"A\x00B\x01C\x08D\x0bE\x1bF\x7fG\tH\nI\r\nJ"
    if kind == "html":
        document = to_document(b"<p>" + raw + b"</p>", "text/html")
        value, expected = document.html, "<p>ABCDEFG\tH\nI\r\nJ</p>"
    else:
        document = to_document(raw, "text/plain")
        value, expected = document.text, "ABCDEFG\tH\nI\r\nJ"
    assert document.kind == kind
    assert value == expected
    assert_clean(value)


@pytest.mark.parametrize(
    "raw",
    [
        b"<p>\xc3\x28 invalid 2-byte</p>",
        b"<p>\xed\xa0\x80 surrogate</p>",
        b"<p>\xf4\x90\x80\x80 too high</p>",
        b"<p>\xc0\xaf overlong</p>",
        b"<p>truncated \xe2\x82</p>",
        b"<p>" + bytes(range(128, 256)) + b"</p>",
    ],
)
def test_b8_invalid_utf8_becomes_valid_text(raw):
    document = to_document(raw, "text/html", "utf-8")
    assert_clean(document.html)
    assert document.html.startswith("<p>") and document.html.endswith("</p>")


@pytest.mark.usefixtures("eval_data")
@pytest.mark.parametrize("path", page_params(), ids=lambda p: p.name[:40] if p else "eval-data-missing")
def test_b8_real_pages_decode_to_clean_html_with_or_without_a_content_type(path):
    content = path.read_bytes()
    declared = to_document(content, "text/html")
    missing = to_document(content, "")
    assert declared.kind == missing.kind == "html"
    assert declared.html == missing.html
    assert_clean(declared.html)
    # A handful of replacement characters may be in the source; a wrong charset would make hundreds.
    assert declared.html.count("\ufffd") < 20


@pytest.mark.usefixtures("eval_data")
def test_b8_real_pages_have_their_must_contain_snippets_after_decoding():
    manifest = json.loads((PAGES / "manifest.json").read_text())
    entries = manifest.items() if isinstance(manifest, dict) else ((e.get("file"), e) for e in manifest)
    checked = 0
    for name, entry in entries:
        if not name or not (PAGES / name).exists():
            continue
        html = to_document((PAGES / name).read_bytes(), "text/html").html
        for snippet in entry.get("must_contain", [])[:2]:
            if snippet in html:  # snippets may span markup; count the ones found verbatim
                checked += 1
    assert checked > 20
