"""Notifications: an enterprise's feed of status changes, and the webhooks that carry them."""
