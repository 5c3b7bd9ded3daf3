"""Every string a page shows, by key: English now, Traditional and Simplified Chinese later."""

from __future__ import annotations

from hetao.profiles import LocalizedText

#: The language pages are served in (BCP 47); negotiation comes with the Chinese catalogues.
LANG = "en"

# Adding a language is adding a catalogue here; templates only ever name keys.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "site.skip": "Skip to main content",
        "site.console": "Customs console",
        "site.signed_in_as": "Signed in as",
        "site.sign_out": "Sign out",
        "site.sign_in": "Sign in",
        "site.nav": "Main",
        "site.nav.audit": "Audit log",
        "site.times_utc": "All times are UTC.",
        "role.zone_reviewer": "zone reviewer",
        "role.first_line_officer": "first-line officer",
        "role.second_line_officer": "second-line officer",
        "role.enterprise_user": "enterprise user",
        "role.auditor": "auditor",
        "role.administrator": "administrator",
        "role.gate_device": "gate device",
        "login.title": "Sign in",
        "login.intro": "Sign in with the username and password your administrator gave you.",
        "login.username": "Username",
        "login.password": "Password",
        "login.submit": "Sign in",
        "login.missing": "Enter your username and your password.",
        "login.refused": ("The username or password is not correct, or the account is not active."),
        "login.throttled": (
            "Too many failed sign-ins for this account or this address. "
            "Try again in {minutes} minutes."
        ),
        "login.other_site": "This sign-in form was sent from another site and was refused.",
        "error.title": "Something went wrong",
        "error.status": "Error {status}",
        "error.400": "The request is not valid",
        "error.401": "Sign-in required",
        "error.403": "Access denied",
        "error.403.help": (
            "Your role does not give access to this page, or a form was sent without its "
            "security token. Reload the page and try again."
        ),
        "error.404": "Not found",
        "error.409": "Conflict with the current state",
        "error.422": "The request is not valid",
        "error.429": "Too many requests",
        "error.429.help": "Wait {seconds} seconds, then try again.",
        "error.500": "Internal error",
        "error.500.help": "The server failed. Give the reference below to your administrator.",
        "error.reference": "Reference",
        "error.problems": "What to correct",
        "error.back": "Back to the audit log",
        "audit.events.title": "Audit log",
        "audit.events.intro": (
            "Every change to the platform, newest first. Each event is chained to the one "
            "before it and covered by signed checkpoints."
        ),
        "audit.events.filter": "Filter",
        "audit.events.tag": "Tag",
        "audit.events.tag_hint": "source:subject:action, e.g. auth:session:login",
        "audit.events.apply": "Apply",
        "audit.events.clear": "Clear filter",
        "audit.events.caption": "Audit events, newest first",
        "audit.events.caption_tag": "Audit events tagged {tag}, newest first",
        "audit.events.none": "No events.",
        "audit.events.pages": "Pages",
        "audit.events.older": "Older events",
        "audit.events.newest": "Newest events",
        "audit.field.seq": "Seq",
        "audit.field.time": "Time (UTC)",
        "audit.field.tag": "Tag",
        "audit.field.subject": "Subject",
        "audit.field.actor": "Actor",
        "audit.field.request_id": "Request id",
        "audit.field.data": "Data",
        "audit.field.leaf_hash": "Leaf hash",
        "audit.field.chain_hash": "Chain hash",
        "audit.event.title": "Audit event {seq}",
        "audit.event.fields": "The event",
        "audit.event.none": "(none)",
        "audit.proof.title": "Inclusion proof",
        "audit.proof.intro": (
            "The audit path below leads from this event's leaf hash to the root hash of a "
            "signed checkpoint: the event is in the log the platform signed, unaltered."
        ),
        "audit.proof.pending": (
            "No signed checkpoint covers this event yet, so there is no proof to show. "
            "The next checkpoint will cover it."
        ),
        "audit.proof.checkpoint": "Checkpoint proved against",
        "audit.proof.log": "Log",
        "audit.proof.tree_size": "Tree size",
        "audit.proof.root_hash": "Root hash",
        "audit.proof.key_id": "Key id",
        "audit.proof.issued_at": "Issued at (UTC)",
        "audit.proof.leaf_index": "Leaf index",
        "audit.proof.path": "Audit path",
        "audit.proof.path_empty": "Empty: the tree holds only this event.",
        "audit.proof.checks": "Checks",
        "audit.proof.ok": "ok",
        "audit.proof.fail": "FAIL",
        "audit.proof.holds": "The proof holds.",
        "audit.proof.broken": "The proof does NOT hold: report it to the zone's audit office.",
        "audit.proof.offline": "Check it yourself, offline",
        "audit.proof.download": "Download the proof document (proof.json)",
        "audit.proof.command_intro": (
            "Then run, with the platform's public key obtained from the zone's published key "
            "(key id {key_id}), not from this server:"
        ),
    },
}

_ROLE_KEYS = "role."


def t(key: str, **params: object) -> str:
    """The text for ``key`` in the page language, with ``{params}`` filled in."""
    text = MESSAGES[LANG][key]
    return text.format(**params) if params else text


def localized(text: LocalizedText) -> str:
    """A profile's localised name in the page language."""
    return {"en": text.en, "zh-Hant": text.zh_hant, "zh-Hans": text.zh_hans}[LANG]


def role_name(role: str) -> str:
    """A role's display name."""
    return t(_ROLE_KEYS + role)
