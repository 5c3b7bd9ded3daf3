"""The JSON API's shared machinery: the unit of work per request, problems, idempotency."""
