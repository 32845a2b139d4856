"""Requests that arrive together after a start wait for one build of the routing machinery, not one each."""

from __future__ import annotations

import threading

from ticketing.routing import words


def test_concurrent_first_requests_build_the_segmenter_once(monkeypatch):
    built = []

    class Counting(words.Segmenter):
        def __init__(self, *args) -> None:
            built.append(threading.get_ident())
            super().__init__(*args)

    monkeypatch.setattr(words, "Segmenter", Counting)
    key = (("路灯不亮", "噪音扰民", f"测试{threading.get_ident()}"), ("不",))
    start = threading.Barrier(8)
    got = []

    def ask() -> None:
        start.wait()
        got.append(words.segmenter_for(*key))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(built) == 1 and len(got) == 8 and all(s is got[0] for s in got)
    assert got[0].segment("路灯不亮").words  # the one built works
