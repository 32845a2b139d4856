"""Word search (ranked, Chinese bigrams), number and phone lookups, keyset paging and capped counts."""

from __future__ import annotations

from ticketing.case import listing, search, service
from ticketing.database.core import session_scope

LAMP = {"description": "小区门口路灯坏了一个星期", "street": "futian", "caller_phone": "13800138000",
        "caller_name": "王先生"}


def create(client, headers, **fields):
    response = client.post("/api/v1/cases", json={**LAMP, **fields}, headers=headers["agent"])
    assert response.status_code == 201, response.text
    return response.json()["number"]


def found(client, headers, role="supervisor", **params):
    response = client.get("/api/v1/cases", params=params, headers=headers[role])
    assert response.status_code == 200, response.text
    return response.json()


def numbers(body) -> list[str]:
    return [item["number"] for item in body["items"]]


def test_words_are_found_as_phrases_in_every_field_best_first(client, headers, session_factory):
    digger = create(client, headers, description="工地挖掘机夜间施工噪音扰民", address="福华路12号楼")
    noise = create(client, headers, description="楼上装修噪音很大")
    heard = create(client, headers, description="反映施工问题")
    create(client, headers, description="挖土机和掘进机都在", caller_name="李女士")  # 挖掘机 not as a phrase
    with session_scope(session_factory) as session:
        service.add_attachment(session, heard, "transcript", transcript="喂，挖掘机半夜还在挖")
    noted = create(client, headers, description="路面破损")
    note = {"note": "现场有挖掘机作业", "visibility": "internal"}
    response = client.post(f"/api/v1/cases/{noted}/actions/note", json=note, headers=headers["agent"])
    assert response.status_code == 200, response.text
    body = found(client, headers, q="挖掘机")
    assert numbers(body) == [digger, noted, heard]  # description, then note, then transcript
    assert (body["total"], body["total_capped"], body["next_cursor"]) == (3, False, None)
    assert set(numbers(found(client, headers, q="噪音"))) == {digger, noise}
    assert numbers(found(client, headers, q="噪音 挖掘机")) == [digger]
    assert numbers(found(client, headers, q="华路12号")) == [digger]
    assert numbers(found(client, headers, q="李女士")) == numbers(found(client, headers, q="挖土机"))
    assert found(client, headers, q="，。！")["items"] == []
    assert numbers(found(client, headers, q="挖掘机", status="new", per_page=1, page=2)) == [noted]


def test_a_lone_character_is_checked_on_what_the_index_finds_without_it(client, headers):
    """The index is asked for 华路 12 (号 as a prefix merges hundreds of lexemes); 号 is still required."""
    house = create(client, headers, address="福华路12号楼")
    block = create(client, headers, address="福华路12栋")
    house_west = create(client, headers, address="福华路12号西侧", description="门口路灯坏了")
    assert numbers(found(client, headers, q="华路12号")) == [house_west, house]
    assert numbers(found(client, headers, q="华路12")) == [house_west, block, house]
    assert numbers(found(client, headers, q="华路12号 路灯")) == [house_west, house]  # LAMP has 路灯 too
    assert numbers(found(client, headers, q="华路12栋")) == [block]
    assert numbers(found(client, headers, q="华路13号")) == []


def test_numbers_and_phones_are_looked_up_by_index(client, headers):
    first = create(client, headers)
    second = create(client, headers, caller_phone="0755-83212345")
    assert numbers(found(client, headers, q=first)) == [first]
    assert numbers(found(client, headers, q=first.lower())) == [first]
    assert numbers(found(client, headers, q=first.split("-")[0])) == [second, first]
    assert numbers(found(client, headers, q="+86 755 8321 2345")) == [second]
    assert numbers(found(client, headers, q="138 0013 8000")) == [first]


def test_lists_page_by_cursor_newest_first_without_gaps(client, headers):
    made = [create(client, headers) for _ in range(5)]
    seen, cursor = [], None
    while True:
        body = found(client, headers, per_page=2, **({"cursor": cursor} if cursor else {}))
        assert body["total"] == 5 and not body["total_capped"]
        seen += numbers(body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]
    assert found(client, headers, per_page=5)["next_cursor"] is None


def test_a_bureau_user_pages_their_bureau_only(client, headers):
    ours = [create(client, headers, dispatch=True) for _ in range(3)]
    create(client, headers, description="公司拖欠工资三个月", dispatch=True)
    create(client, headers)  # not dispatched: not theirs yet
    first = found(client, headers, "bureau", per_page=2)
    rest = found(client, headers, "bureau", per_page=2, cursor=first["next_cursor"])
    assert numbers(first) + numbers(rest) == ours[::-1] and rest["next_cursor"] is None


def test_a_foreign_cursor_is_refused(client, headers):
    for cursor in ("nonsense", "bm9wZQ", listing.encode_cursor.__name__):
        response = client.get("/api/v1/cases", params={"cursor": cursor}, headers=headers["supervisor"])
        assert response.status_code == 422 and "cursor" in response.json()["detail"]


def test_counts_stop_at_the_cap(client, headers, monkeypatch):
    for _ in range(4):
        create(client, headers)
    monkeypatch.setattr(listing, "LIST_COUNT_CAP", 3)
    monkeypatch.setattr(search, "SEARCH_CAP", 2)
    body = found(client, headers, per_page=2)
    assert (body["total"], body["total_capped"], len(body["items"])) == (3, True, 2)
    body = found(client, headers, q="路灯")
    assert (body["total"], body["total_capped"], len(body["items"])) == (2, True, 2)


def test_reindex_rebuilds_the_documents_from_the_tables(client, headers, session_factory):
    number = create(client, headers, description="井盖松动响声很大")
    with session_scope(session_factory) as session:
        assert search.reindex_all(session.connection()) == 1
    assert numbers(found(client, headers, q="井盖")) == [number]


def test_name_and_address_parts_narrow_as_text_found_through_the_index(client, headers):
    ouyang = create(client, headers, caller_name="欧阳娜娜", address="福华三路88号",
                    caller_phone="13912340001")
    create(client, headers, caller_name="欧阳修", address="福华三路90号")
    in_text = create(client, headers, description="欧阳娜娜家门口路灯坏了")  # the name only in the text
    assert numbers(found(client, headers, name="欧阳娜娜")) == [ouyang]
    assert set(numbers(found(client, headers, q="欧阳娜娜"))) == {ouyang, in_text}
    assert numbers(found(client, headers, name="欧阳", address="88号")) == [ouyang]
    assert numbers(found(client, headers, address="三路88")) == [ouyang]
    assert numbers(found(client, headers, q="13912340001", name="娜娜")) == [ouyang]  # phone lookup narrowed
    assert numbers(found(client, headers, q=ouyang, address="90号")) == []
    assert found(client, headers, name="100%_")["items"] == []  # LIKE wildcards are only text
    response = client.get("/api/v1/cases", params={"address": "a\x00b"}, headers=headers["supervisor"])
    assert response.status_code in (400, 422)  # the NUL guard refuses it before the search


def test_windows_of_the_newest_cases_find_what_one_search_finds(client, headers, monkeypatch):
    words = ["挖掘机施工", "路灯坏了", "挖掘机很吵", "噪音", "路灯不亮", "挖掘机", "井盖", "挖掘机又来了"]
    made = [create(client, headers, description=text) for text in words]
    expected = {q: found(client, headers, q=q, per_page=200) for q in ("挖掘机", "路灯", "井盖", "没有的词")}
    assert set(numbers(expected["挖掘机"])) == {made[i] for i in (0, 2, 5, 7)}
    monkeypatch.setattr(search, "WINDOW", 1)  # every window holds one case: windows, then the rest
    for q, body in expected.items():
        assert found(client, headers, q=q, per_page=200) == body
    monkeypatch.setattr(search, "SEARCH_CAP", 2)
    capped = found(client, headers, q="挖掘机")
    assert (capped["total"], capped["total_capped"]) == (2, True)
    assert set(numbers(capped)) == {made[5], made[7]}  # the newest two are the ones ranked


def test_console_lists_page_a_word_search_newest_first(client, headers, session_factory, monkeypatch):
    from dataclasses import replace

    from ticketing.case import lists
    from ticketing.database.types import utcnow

    texts = ["挖掘机一", "路灯", "挖掘机二", "挖掘机三", "井盖", "挖掘机四"]
    made = [create(client, headers, description=text) for text in texts]
    monkeypatch.setattr(search, "WINDOW", 1)  # windows, then the rest, on PostgreSQL
    with session_scope(session_factory) as session:
        criteria = lists.ListCriteria(q="挖掘机", limit=2)
        first = lists.page(session, criteria, utcnow())
        second = lists.page(session, replace(criteria, after=first.next_cursor), utcnow())
        assert [c.number for c in first.items + second.items] == [made[5], made[3], made[2], made[0]]
        assert second.next_cursor is None
        assert lists.page(session, replace(criteria, statuses=("closed",)), utcnow()).items == []
        assert lists.page(session, replace(criteria, q="，。"), utcnow()).items == []
