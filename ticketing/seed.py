"""`hotline seed`: load a district's organisation, sample users and a few sample cases (idempotent)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.bureau.seed import SyncReport, sync_dataset
from ticketing.case import flows
from ticketing.case.models import CaseEvent
from ticketing.case.schemas import CaseCreate
from ticketing.database.types import utcnow
from ticketing.dataset import Dataset
from ticketing.knowledge.seed import seed_articles
from ticketing.user import service as users

log = logging.getLogger(__name__)
SEED_ACTOR = "seed"


@dataclass(frozen=True)
class SampleUser:
    """A user the sample creates, with a known password for trying the console."""

    username: str
    role: str
    password: str
    bureau: str | None = None
    extension: str | None = None
    display_name: str = ""


SAMPLE_USERS = (
    SampleUser("admin", "admin", "admin-pass", display_name="系统管理员"),
    SampleUser("supervisor1", "supervisor", "supervisor-pass", display_name="值班长 王敏"),
    SampleUser("agent1", "agent", "agent-pass", extension="1001", display_name="话务员 李娜"),
    SampleUser("agent2", "agent", "agent-pass", extension="1002", display_name="话务员 陈刚"),
    SampleUser("urban1", "bureau", "bureau-pass", bureau="urban-mgmt", display_name="城管局 张伟"),
    SampleUser("env1", "bureau", "bureau-pass", bureau="environment", display_name="环境局 刘洋"),
    SampleUser("police1", "bureau", "bureau-pass", bureau="police", display_name="公安分局 赵磊"),
    SampleUser("futian1", "bureau", "bureau-pass", bureau="street-futian", display_name="福田街道 孙丽"),
    SampleUser("qa1", "qa", "qa-pass", display_name="质检员 周静"),
    SampleUser("dispatcher1", "dispatcher", "dispatcher-pass", display_name="派单员 周婷"),
)

SAMPLE_CASES = (
    dict(
        description="小区门口路灯坏了一个星期，晚上很黑",
        street="futian",
        caller_phone="13800138001",
        caller_name="王先生",
        address="福田街道岗厦村东坊",
        dispatch=True,
    ),
    dict(
        description="工地晚上十一点还在施工，噪音很大，影响休息",
        street="lianhua",
        caller_phone="0755-83212345",
        caller_name="刘女士",
        address="莲花街道景田北",
        dispatch=True,
    ),
    dict(
        description="公司拖欠三个月工资不发",
        street="huaqiangbei",
        caller_phone="13912345678",
        caller_name="陈先生",
        dispatch=False,
    ),
    dict(
        description="Rubbish and litter are piling up outside the metro exit, nobody cleans it",
        street="xiangmihu",
        caller_phone="+8613600001111",
        caller_name="Mr Smith",
        channel="web",
        dispatch=True,
    ),
    dict(
        description="餐馆油烟直排，楼上住户窗户都是油",
        street="meilin",
        caller_phone="13700137000",
        caller_name="赵女士",
        dispatch=False,
    ),
    dict(
        description="想咨询一下孩子上小学的学位申请流程",
        street="huafu",
        caller_phone="13500135000",
        caller_name="孙先生",
        dispatch=False,
    ),
)


def seed(
    session: Session, dataset: Dataset, *, now: datetime | None = None
) -> tuple[SyncReport, list[str], int]:
    """Sync the organisation, add missing sample users, and sample cases once; return what was done."""
    report = sync_dataset(session, dataset)
    added = [u.username for u in SAMPLE_USERS if _add_user(session, u)]
    cases = 0
    if not session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.actor == SEED_ACTOR)):
        start = (now or utcnow()) - timedelta(hours=len(SAMPLE_CASES))
        for offset, sample in enumerate(SAMPLE_CASES):
            flows.intake(
                session, dataset, CaseCreate(**sample), SEED_ACTOR, now=start + timedelta(hours=offset)
            )
            cases += 1
    articles = seed_articles(session, dataset.directory)
    if articles:
        log.info("seed: %d knowledge articles added", articles)
    session.flush()
    return report, added, cases


def _add_user(session: Session, sample: SampleUser) -> bool:
    if users.get_by_username(session, sample.username):
        return False
    users.create(
        session,
        sample.username,
        sample.role,
        bureau_code=sample.bureau,
        password=sample.password,
        extension=sample.extension,
        display_name=sample.display_name,
    )
    return True
