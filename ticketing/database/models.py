"""Import every table module so Base.metadata knows all tables (Alembic and tests use this)."""

from ticketing.audit.models import AccessRecord
from ticketing.bureau.models import Bureau, Category, Community, RoutingRule, Street
from ticketing.call.models import Call, CaseCall
from ticketing.callback.models import CallbackTask, DoNotCall
from ticketing.caller.models import CallerFlag
from ticketing.case.idempotency import IdempotencyKey
from ticketing.case.models import Case, CaseAssist, CaseAttachment, CaseEvent, CaseNumberCounter
from ticketing.database.core import Base
from ticketing.knowledge.models import Article, ArticleVersion
from ticketing.open311.models import Open311Client, Open311Request
from ticketing.outbox.models import OutboxEntry
from ticketing.qa.models import CallTranscript, QaScore
from ticketing.supervision.models import CaseNotice, SupervisionOrder
from ticketing.user.models import ApiToken, ConsoleSession, LoginAttempt, User
from ticketing.webhook.models import WebhookDelivery, WebhookSubscription

__all__ = [
    "AccessRecord",
    "CaseAssist",
    "CaseNotice",
    "SupervisionOrder",
    "ApiToken",
    "Article",
    "ArticleVersion",
    "Base",
    "Bureau",
    "Call",
    "CallTranscript",
    "CallbackTask",
    "CallerFlag",
    "Case",
    "CaseAttachment",
    "CaseCall",
    "CaseEvent",
    "CaseNumberCounter",
    "Category",
    "Community",
    "DoNotCall",
    "IdempotencyKey",
    "LoginAttempt",
    "ConsoleSession",
    "Open311Client",
    "Open311Request",
    "QaScore",
    "RoutingRule",
    "OutboxEntry",
    "Street",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
]
