"""Pure decisions about personal data and media: masking, byte ranges, file types, paths, merge cycles."""

from __future__ import annotations

import os

import pytest

from ticketing.case.errors import MediaUnavailable, RangeNotSatisfiable, UploadRefused
from ticketing.case.media import contained, parse_range, starts_a_play
from ticketing.case.merging import would_cycle
from ticketing.case.privacy import mask_name, mask_phone, may_unmask
from ticketing.case.uploads import check, clean_name, sniff


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+8613800138000", "138****8000"),
        ("+867558321234", "0755***1234"),
        ("+8675583212345", "0755****2345"),
        ("+12025550123", "120****0123"),
        ("", ""),
        (None, ""),
        ("123", "***"),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"), [("王先生", "王**"), ("王", "王*"), ("Mr Smith", "M*******"), ("", "")]
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("role", "may"),
    [
        ("bureau", False),
        ("agent", True),
        ("dispatcher", True),
        ("supervisor", True),
        ("admin", True),
        ("nobody", False),
    ],
)
def test_unmask_right(role, may):
    assert may_unmask(role) is may


@pytest.mark.parametrize(
    ("header", "span"),
    [
        (None, None),
        ("", None),
        ("bytes=0-", (0, 999)),
        ("bytes=0-99", (0, 99)),
        ("bytes=900-", (900, 999)),
        ("bytes=900-5000", (900, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=0-1,5-9", None),
        ("items=0-5", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header, span):
    assert parse_range(header, 1000) == span


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5-2", "bytes=-0", "bytes=2000-3000"])
def test_unsatisfiable_ranges(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 1000)


@pytest.mark.parametrize(("header", "starts"), [(None, True), ("bytes=0-", True), ("bytes=500-", False)])
def test_a_play_is_audited_once(header, starts):
    assert starts_a_play(header) is starts


WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", (".jpg", "image/jpeg")),
        (b"\x89PNG\r\n\x1a\n\x00", (".png", "image/png")),
        (b"GIF89a\x01\x00", (".gif", "image/gif")),
        (WEBP, (".webp", "image/webp")),
        (WAV, (".wav", "audio/wav")),
        (b"%PDF-1.7\n", (".pdf", "application/pdf")),
        (b"ID3\x04\x00", (".mp3", "audio/mpeg")),
        (b"OggS\x00\x02", (".ogg", "audio/ogg")),
        (b"MZ\x90\x00", None),
        (b"<html><script>", None),
        (b"XXXX\x00\x00\x00\x00WAVE", None),
    ],
)
def test_sniff_by_content_never_by_name(head, found):
    assert sniff(head) == found


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "empty"), (b"\x89PNG\r\n\x1a\n" + b"0" * 200, "too_large"), (b"#!/bin/sh\nrm -rf /", "bad_type")],
)
def test_refused_uploads(data, code):
    with pytest.raises(UploadRefused) as refused:
        check(data, max_bytes=100)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\照片.jpg", "照片.jpg"),
        ("a\x00b\nc.png", "abc.png"),
        ("", "file"),
        ("/", "file"),
    ],
)
def test_clean_name(name, label):
    assert clean_name(name) == label


def test_paths_outside_the_media_directories_are_refused(tmp_path):
    root, outside = tmp_path / "var", tmp_path / "secret"
    (root / "rec").mkdir(parents=True)
    outside.mkdir()
    (root / "rec" / "a.wav").write_bytes(WAV)
    (outside / "key.pem").write_text("secret")
    os.symlink(outside / "key.pem", root / "rec" / "link.wav")
    assert contained(str(root / "rec" / "a.wav"), [root]) == (root / "rec" / "a.wav").resolve()
    for stored in (
        str(root / "rec" / ".." / ".." / "secret" / "key.pem"),
        str(root / "rec" / "link.wav"),
        str(outside / "key.pem"),
        str(root / "rec"),
        str(root / "missing.wav"),
        "",
        "a\x00b",
    ):
        with pytest.raises(MediaUnavailable):
            contained(stored, [root])


@pytest.mark.parametrize(
    ("chain", "source", "cycle"),
    [
        ([2], 1, False),
        ([2, 3], 1, False),
        ([2, 1], 1, True),
        ([2, 3, 2], 4, True),
        ([1], 1, True),
    ],
)
def test_merge_cycles(chain, source, cycle):
    assert would_cycle(chain, source) is cycle
