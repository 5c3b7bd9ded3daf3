"""Who may read notifications and keep webhooks: an enterprise user, for its own party only.

Staff follow objects through their own queues; a feed and a webhook are the enterprise's
window on its own objects. Another party's webhook answers as if it did not exist (404).
"""

from __future__ import annotations

from hetao.auth.principal import Principal, Role
from hetao.errors import PermissionDenied
from hetao.notifications.models import Webhook

#: Read the feed, register, list, disable and rotate webhooks, read the delivery log.
SUBSCRIBERS = (Role.ENTERPRISE_USER,)


def own_party(principal: Principal) -> int:
    """The party the enterprise user acts for."""
    if principal.party_id is None:  # pragma: no cover - the users table forbids it
        raise PermissionDenied("an enterprise user without a party has no notifications")
    return principal.party_id


def check_webhook(principal: Principal, webhook: Webhook) -> Webhook:
    """The webhook, if it is the principal's party's; another party's answers as not found."""
    if webhook.party_id != own_party(principal):
        raise PermissionDenied(f"webhook {webhook.id} does not exist", hidden=True)
    return webhook
