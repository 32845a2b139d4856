"""Load a city's cases into PostgreSQL with set-based SQL: cases, events, calls, case links, transcripts.

Everything is generated inside PostgreSQL (`generate_series`, `random()` after `setseed`), so a million
cases load in minutes without a row crossing the wire. The shape follows the district's figures: cases
spread over `days` with the newest still open, about six events per case, a call for four cases in five,
a transcript for one in five, and a skewed caller distribution (caller index = callers * r^2, so the
busiest number has ~0.2 % of all cases, about 2,000 at a million).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection

PLACES = ["小区门口", "楼下", "十字路口", "公交站旁", "菜市场附近", "学校门口", "地铁站出口", "公园东门",
          "写字楼后面", "老旧小区里", "医院旁边", "商场停车场", "河边步道", "天桥下面", "城中村巷子里"]
MATTERS = [
    "路灯坏了一个星期，晚上很黑", "晚上装修噪音很大，影响休息", "工地挖掘机夜间施工，噪音扰民",
    "垃圾堆放好几天没人清理，气味难闻", "井盖松动，车辆经过响声很大", "下水道堵塞，污水外溢",
    "共享单车乱停乱放堵住通道", "占道经营，摊贩很多", "餐馆油烟直排，熏得没法开窗", "树枝折断挂在电线上",
    "道路塌陷出现大坑", "违章搭建铁皮房", "商户拖欠工资不给", "小区停水没有通知", "电梯经常困人",
    "广场舞音响噪音太吵", "空调外机滴水", "流浪狗很多，担心伤人", "消防通道被车辆堵塞",
    "红绿灯坏了，交通混乱", "建筑垃圾偷倒在路边", "积水严重，行人无法通过", "烧烤摊油烟和噪音", "物业乱收费",
    "公厕脏乱没人打扫",
    "施工围挡倒塌", "非法营运车辆拉客", "楼道堆放杂物有火灾隐患", "自来水发黄有异味", "健身器材损坏",
]
DETAILS = ["", "，请尽快处理", "，已经反映过多次", "，希望有关部门来看看", "，老人小孩出行不安全",
           "，周边居民意见很大", "，麻烦派人核实", "，晚上十点以后还在继续"]
ROADS = ["深南大道", "福华路", "彩田路", "新洲路", "益田路", "金田路", "福强路", "红荔路", "莲花路",
         "滨河大道"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"]
NOTES = ["已联系市民核实情况", "已转派执法队现场处理", "现场查看属实", "已约谈相关商户", "等待街道办回复",
         "已安排清运", "已通知物业整改", "市民表示满意"]

# status by age: (max age in days, [(cumulative share, status), ...])
STATUS_BY_AGE = [
    (1, [(0.3, "new"), (0.7, "dispatched"), (1.0, "acknowledged")]),
    (15, [(0.05, "dispatched"), (0.15, "acknowledged"), (0.50, "in_progress"), (0.53, "extension_requested"),
          (0.55, "returned"), (0.80, "resolved"), (1.0, "closed")]),
    (45, [(0.10, "in_progress"), (0.20, "resolved"), (1.0, "closed")]),
    (None, [(0.01, "in_progress"), (0.02, "merged"), (0.025, "reopened"), (1.0, "closed")]),
]
# events each status has been through, oldest first
TRAIL = {
    "new": ["create"],
    "dispatched": ["create", "dispatch"],
    "acknowledged": ["create", "dispatch", "acknowledge"],
    "in_progress": ["create", "dispatch", "acknowledge", "start", "note"],
    "extension_requested": ["create", "dispatch", "acknowledge", "start", "request-extension"],
    "returned": ["create", "dispatch", "return"],
    "resolved": ["create", "dispatch", "acknowledge", "start", "note", "resolve"],
    "closed": ["create", "dispatch", "acknowledge", "start", "note", "resolve", "callback"],
    "merged": ["create", "dispatch", "merge"],
    "reopened": ["create", "dispatch", "acknowledge", "start", "resolve", "callback", "reopen", "note"],
}
TO_STATUS = {"create": "new", "dispatch": "dispatched", "acknowledge": "acknowledged", "start": "in_progress",
             "note": None, "request-extension": "extension_requested", "return": "returned",
             "resolve": "resolved", "callback": "closed", "merge": "merged", "reopen": "reopened"}


def _array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _status_sql() -> str:
    """CASE expression choosing a status from the case's age `age` (days) and a random `rs`."""
    branches = []
    for max_age, shares in STATUS_BY_AGE:
        inner = " ".join(f"WHEN rs < {share} THEN '{name}'" for share, name in shares[:-1])
        choice = f"CASE {inner} ELSE '{shares[-1][1]}' END"
        branches.append(f"WHEN age < {max_age} THEN {choice}" if max_age else f"ELSE {choice}")
    return "CASE " + " ".join(branches) + " END"


def _trail_sql() -> str:
    """SQL VALUES of (status, step, action, to_status) for every event of each status's trail."""
    rows, current = [], None
    for status, trail in TRAIL.items():
        for step, action in enumerate(trail, 1):
            current = TO_STATUS[action] or current
            rows.append(f"('{status}', {step}, '{action}', '{current}')")
    return "VALUES " + ",".join(rows)


CASES_SQL = """
INSERT INTO cases (id, number, channel, caller_phone, caller_name, street_id, community_id, address,
    latitude, longitude, description, category_id, priority, status, bureau_id, routing_rule,
    routing_explanation, dispatch_by, acknowledge_by, resolve_by, extended_days, paused_seconds,
    public_reply, satisfaction, created_at, updated_at, dispatched_at, acknowledged_at, started_at,
    resolved_at, callback_at, closed_at, version)
WITH refs AS (
    SELECT (SELECT array_agg(id ORDER BY id) FROM categories WHERE default_bureau_id IS NOT NULL) AS cats,
           (SELECT array_agg(default_bureau_id ORDER BY id) FROM categories
             WHERE default_bureau_id IS NOT NULL) AS cat_bureaus,
           (SELECT array_agg(id ORDER BY id) FROM communities) AS comms,
           (SELECT array_agg(street_id ORDER BY id) FROM communities) AS comm_streets,
           (SELECT array_agg(name_zh ORDER BY id) FROM communities) AS comm_names
), g AS (
    SELECT i, :start + (:span * (i::float8 / :n)) AS created_at, random() AS rs, random() AS rc,
           random() AS rp, random() AS rm, random() AS rd, random() AS rx, random() AS rt,
           1 + floor(random() * array_length(refs.cats, 1))::int AS ci,
           1 + floor(random() * array_length(refs.comms, 1))::int AS mi
      FROM generate_series(1, :n) AS i, refs
), s AS (
    SELECT g.*, extract(epoch FROM (:now - g.created_at)) / 86400 AS age FROM g
), t AS (
    SELECT s.*, {status} AS status,
           s.created_at + interval '1 minute' * (5 + 50 * s.rt) AS dispatched
      FROM s
)
SELECT t.i,
       'FT' || to_char(t.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' ||
         lpad((row_number() OVER (PARTITION BY (t.created_at AT TIME ZONE 'Asia/Shanghai')::date
                                   ORDER BY t.i))::text, 4, '0'),
       CASE WHEN t.rc < 0.9 THEN 'phone' ELSE 'web' END,
       CASE WHEN t.rc < 0.95 THEN '+86138' || lpad(floor(:callers * t.rp * t.rp)::int::text, 8, '0') END,
       (:surnames)[1 + floor(t.rx * 16)::int] || CASE WHEN t.rd < 0.5 THEN '先生' ELSE '女士' END,
       refs.comm_streets[t.mi], refs.comms[t.mi],
       '福田区' || (:roads)[1 + floor(t.rm * 10)::int] || (1 + floor(t.rd * 300))::int || '号' ||
         refs.comm_names[t.mi],
       22.53 + t.rx * 0.03, 114.05 + t.rd * 0.05,
       (:places)[1 + floor(t.rx * {places})::int] || (:matters)[1 + floor(t.rm * t.rm * {matters})::int] ||
         (:details)[1 + floor(t.rd * {details})::int],
       refs.cats[t.ci], CASE WHEN t.rt < 0.03 THEN 'urgent' ELSE 'normal' END, t.status,
       refs.cat_bureaus[t.ci], 'category-default', '按类别默认承办单位',
       t.created_at + interval '2 hours',
       CASE WHEN t.status <> 'new' THEN t.dispatched + interval '1 day' END,
       CASE WHEN t.status <> 'new' THEN t.dispatched + interval '5 days' END,
       0, 0,
       CASE WHEN t.status IN ('resolved', 'closed') THEN '已处理：' || (:notes)[1 + floor(t.rd * 8)::int]
            ELSE '' END,
       CASE WHEN t.status = 'closed' THEN CASE WHEN t.rt < 0.9 THEN 'satisfied' ELSE 'unsatisfied' END END,
       t.created_at, t.created_at + interval '1 day' * least(t.age, 3 * t.rt),
       CASE WHEN t.status <> 'new' THEN t.dispatched END,
       CASE WHEN t.status NOT IN ('new', 'dispatched', 'returned', 'merged')
            THEN t.dispatched + interval '1 hour' * (1 + 20 * t.rs) END,
       CASE WHEN t.status IN ('in_progress', 'extension_requested', 'resolved', 'closed', 'reopened')
            THEN t.dispatched + interval '1 day' * (1 + t.rs) END,
       CASE WHEN t.status IN ('resolved', 'closed', 'reopened') THEN t.dispatched + interval '3 days' END,
       CASE WHEN t.status IN ('closed', 'reopened') THEN t.dispatched + interval '4 days' END,
       CASE WHEN t.status = 'closed' THEN t.dispatched + interval '4 days' END,
       1
  FROM t, refs
"""

EVENTS_SQL = """
INSERT INTO case_events (case_id, actor, at, action, from_status, to_status, note, visibility, data)
SELECT c.id, CASE WHEN tr.action IN ('acknowledge', 'start', 'resolve') THEN 'bureau-user' ELSE 'agent1' END,
       c.created_at + interval '7 hours' * (tr.step - 1), tr.action,
       lag(tr.to_status) OVER (PARTITION BY c.id ORDER BY tr.step), tr.to_status,
       CASE WHEN tr.action IN ('note', 'resolve', 'return') THEN (:notes)[1 + (c.id % 8)] ELSE '' END,
       CASE WHEN tr.action IN ('create', 'resolve') THEN 'public' ELSE 'internal' END, '{{}}'
  FROM cases c JOIN ({trail}) AS tr(status, step, action, to_status) ON tr.status = c.status
 WHERE c.id BETWEEN :lo AND :hi
"""

CALLS_SQL = """
INSERT INTO calls (linkedid, server, caller, caller_raw, dialled, language, started_at, answered_at, ended_at,
    ivr_path, queue, queued_at, wait_seconds, agent, outcome, status, updated_at)
SELECT 'bench-' || c.id, 'pbx1', c.caller_phone, c.caller_phone, '12345', 'zh',
       c.created_at - interval '4 minutes', c.created_at - interval '3 minutes', c.created_at,
       '[]', 'general-zh', c.created_at - interval '210 seconds', 30, 'agent1', 'answered', 'ended',
       c.created_at
  FROM cases c WHERE c.caller_phone IS NOT NULL AND c.id % 20 < 17 AND c.id BETWEEN :lo AND :hi
"""

LINKS_SQL = """
INSERT INTO case_calls (case_id, call_id)
SELECT substr(k.linkedid, 7)::int, k.id FROM calls k
 WHERE left(k.linkedid, 6) = 'bench-' AND k.id BETWEEN :lo AND :hi
"""

TRANSCRIPTS_SQL = """
INSERT INTO case_attachments (case_id, kind, path, transcript, created_at)
SELECT c.id, 'transcript', '', '市民来电：喂，你好，我要反映一个问题，' || c.description ||
       '。地址在' || c.address || '，' || (:matters)[1 + (c.id * 7 % {matters})] || '，谢谢。', c.created_at
  FROM cases c WHERE c.id % 5 = 0 AND c.id BETWEEN :lo AND :hi
"""

COUNTERS_SQL = """
INSERT INTO case_number_counters (key, last)
SELECT split_part(number, '-', 1), max(split_part(number, '-', 2)::int) FROM cases GROUP BY 1
"""


def load(conn: Connection, n: int, days: int, now, log: Callable[[str], None] = print) -> dict[str, float]:
    """Fill an empty, migrated and seeded database with `n` cases over `days` ending at `now`."""
    timings: dict[str, float] = {}
    conn.execute(text("SELECT setseed(0.42)"))
    pools = {"places": _array(PLACES), "matters": _array(MATTERS), "details": _array(DETAILS),
             "roads": _array(ROADS), "surnames": _array(SURNAMES), "notes": _array(NOTES)}
    counts = {"places": len(PLACES), "matters": len(MATTERS), "details": len(DETAILS)}

    def run(name: str, sql: str, batched: bool = True, **params) -> None:
        started = time.monotonic()
        for name_, pool in pools.items():
            sql = sql.replace(f":{name_}", pool)
        step = 250_000 if batched else n
        for lo in range(1, n + 1, step) if batched else [1]:
            conn.execute(text(sql), {**params, "lo": lo, "hi": lo + step - 1})
        conn.commit()
        timings[name] = time.monotonic() - started
        log(f"  {name:12} {timings[name]:7.1f} s")

    span = f"{days} days"
    run("cases", CASES_SQL.format(status=_status_sql(), **counts), batched=False, n=n,
        start=_ts(now, f"-{span}"), span=_interval(span), now=now, callers=max(n // 5, 1))
    run("events", EVENTS_SQL.format(trail=_trail_sql()))
    run("calls", CALLS_SQL)
    max_call = conn.execute(text("SELECT coalesce(max(id), 0) FROM calls")).scalar_one()
    started = time.monotonic()
    for lo in range(1, max_call + 1, 250_000):
        conn.execute(text(LINKS_SQL), {"lo": lo, "hi": lo + 249_999})
    conn.commit()
    timings["links"] = time.monotonic() - started
    run("transcripts", TRANSCRIPTS_SQL.format(**counts))
    conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
    conn.execute(text(COUNTERS_SQL))
    conn.commit()
    return timings


TABLES = ("cases", "case_events", "calls", "case_calls", "case_attachments", "case_search")


def drop_indexes(conn: Connection) -> list[str]:
    """Drop the secondary indexes of the tables a load fills; return their definitions to build later.

    Building an index once over loaded rows is many times faster than updating it row by row; for the
    same reason the load runs with foreign-key triggers off (session_replication_role = replica).
    """
    rows = conn.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename = ANY(:tables) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname)"), {"tables": list(TABLES)}).all()
    for name, _definition in rows:
        conn.execute(text(f'DROP INDEX "{name}"'))
    conn.execute(text("SET session_replication_role = replica"))
    conn.execute(text("SET work_mem = '256MB'"))
    conn.execute(text("SET maintenance_work_mem = '1GB'"))
    conn.commit()
    return [definition for _name, definition in rows]


def create_indexes(conn: Connection, definitions: list[str], log: Callable[[str], None] = print) -> float:
    """Build the dropped indexes again and turn foreign-key triggers back on."""
    started = time.monotonic()
    for definition in definitions:
        conn.execute(text(definition))
    conn.execute(text("SET session_replication_role = DEFAULT"))
    conn.commit()
    elapsed = time.monotonic() - started
    log(f"  {'indexes':12} {elapsed:7.1f} s")
    return elapsed


def _ts(now, offset: str):
    from datetime import timedelta

    days = int(offset.strip("-").split()[0])
    return now - timedelta(days=days)


def _interval(span: str):
    from datetime import timedelta

    return timedelta(days=int(span.split()[0]))


def finish(conn: Connection, log: Callable[[str], None] = print) -> float:
    """VACUUM ANALYZE every table the load filled (visibility map for index-only scans, fresh statistics)."""
    started = time.monotonic()
    raw = conn.connection.driver_connection
    raw.autocommit = True
    present = {r[0] for r in raw.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    for table in TABLES:
        if table in present:
            raw.execute(f"VACUUM ANALYZE {table}")
    elapsed = time.monotonic() - started
    log(f"  {'vacuum':12} {elapsed:7.1f} s")
    return elapsed
