"""Every audit event's tag, ``source:subject:action``, as enums: one place lists them all.

As in Warehouse's ``EventTag``: a reader finds every kind of event the platform writes here, a
typo is a type error, and the audit pages and reports can walk the whole vocabulary. The string
values are what the chain stores; changing one would orphan the events already written.
"""

from __future__ import annotations

from enum import StrEnum


class EventTag(StrEnum):
    """Base of the tag enums; each value is ``source:subject:action``."""

    @property
    def subject(self) -> str:
        return self.value.split(":")[1]

    @property
    def action(self) -> str:
        return self.value.split(":")[2]


class AuthTag(EventTag):
    ACCESS_DENY = "auth:access:deny"
    ANONYMOUS_DENY = "auth:anonymous:deny"
    LOGIN_FAIL = "auth:login:fail"
    SESSION_LOGIN = "auth:session:login"
    SESSION_LOGOUT = "auth:session:logout"
    TOKEN_ISSUE = "auth:token:issue"
    TOKEN_REVOKE = "auth:token:revoke"
    USER_CHANGE_PASSWORD = "auth:user:change_password"
    USER_CHANGE_ROLE = "auth:user:change_role"
    USER_CREATE = "auth:user:create"
    USER_DEACTIVATE = "auth:user:deactivate"
    USER_LANGUAGE = "auth:user:language"
    USER_REACTIVATE = "auth:user:reactivate"
    USER_RESET_PASSWORD = "auth:user:reset_password"


class RegistryTag(EventTag):
    APPLICATION_APPROVE = "registry:application:approve"
    APPLICATION_CREATE = "registry:application:create"
    APPLICATION_DECLINE = "registry:application:decline"
    APPLICATION_REQUEST_INFORMATION = "registry:application:request_information"
    APPLICATION_RESUBMIT = "registry:application:resubmit"
    APPLICATION_SUBMIT = "registry:application:submit"
    APPROVAL_CREATE = "registry:approval:create"
    APPROVAL_DRAW = "registry:approval:draw"
    ENTRY_CREATE = "registry:entry:create"
    ENTRY_EXPIRE = "registry:entry:expire"
    ENTRY_REINSTATE = "registry:entry:reinstate"
    ENTRY_REVOKE = "registry:entry:revoke"
    ENTRY_SUSPEND = "registry:entry:suspend"
    PARTY_CREATE = "registry:party:create"
    PERSON_CREATE = "registry:person:create"
    STANDING_CREATE = "registry:standing:create"
    VEHICLE_CREATE = "registry:vehicle:create"
    WAIVER_CREATE = "registry:waiver:create"


class LedgerTag(EventTag):
    CENTRALISED_CLOSE = "ledger:centralised:close"
    CENTRALISED_LINE = "ledger:centralised:line"
    CENTRALISED_OPEN = "ledger:centralised:open"
    DECLARATION_ACCEPT = "ledger:declaration:accept"
    DECLARATION_CLEAR = "ledger:declaration:clear"
    DECLARATION_REFUSE = "ledger:declaration:refuse"
    DECLARATION_SUBMIT = "ledger:declaration:submit"
    HOLD_PLACE = "ledger:hold:place"
    HOLD_POST = "ledger:hold:post"
    HOLD_VOID = "ledger:hold:void"
    LOT_ADMIT = "ledger:lot:admit"
    LOT_TRANSFORM = "ledger:lot:transform"
    MOVEMENT_ADJUST = "ledger:movement:adjust"
    MOVEMENT_REVERSE = "ledger:movement:reverse"
    MOVEMENT_TRANSFER = "ledger:movement:transfer"
    # One per movement kind that a single-lot withdrawal posts (hetao.ledger.models.MovementKind).
    MOVEMENT_CONSUME = "ledger:movement:consume"
    MOVEMENT_RELEASE_SECOND_LINE = "ledger:movement:release_second_line"
    MOVEMENT_EXPORT_FIRST_LINE = "ledger:movement:export_first_line"
    MOVEMENT_DESTROY = "ledger:movement:destroy"
    # Many movements posted at once: one event with their ids and a digest of their rows.
    MOVEMENT_BATCH = "ledger:movement:batch"


class FundsTag(EventTag):
    PROJECT_CLOSE = "funds:project:close"
    PROJECT_CREATE = "funds:project:create"
    TRANSFER_APPROVE = "funds:transfer:approve"
    TRANSFER_CHECK = "funds:transfer:check"
    TRANSFER_DECLARE = "funds:transfer:declare"
    TRANSFER_DECLINE = "funds:transfer:decline"
    TRANSFER_HOLD = "funds:transfer:hold"
    TRANSFER_REMIT = "funds:transfer:remit"
    TRANSFER_REPORT = "funds:transfer:report"


class DataTag(EventTag):
    APPLICATION_CREATE = "data:application:create"
    APPLICATION_SELF_ASSESS = "data:application:self_assess"
    APPLICATION_FILE = "data:application:file"
    APPLICATION_APPLY = "data:application:apply"
    APPLICATION_APPROVE = "data:application:approve"
    APPLICATION_REJECT = "data:application:reject"
    APPLICATION_ACTIVATE = "data:application:activate"
    APPLICATION_OPEN_RENEWAL = "data:application:open_renewal"
    APPLICATION_EXTEND = "data:application:extend"
    APPLICATION_EXPIRE = "data:application:expire"
    BATCH_RECORD = "data:batch:record"
    BATCH_REFUSE = "data:batch:refuse"


class CrossingTag(EventTag):
    EVENT_DECIDE = "crossing:event:decide"
    RULE_SET_ADD = "crossing:rule_set:add"


class ReferenceTag(EventTag):
    VERSION_ADD = "reference:version:add"


class CredentialTag(EventTag):
    # Written under the crossing source before credentials had a room of their own.
    CREDENTIAL_ISSUE = "crossing:credential:issue"
    CREDENTIAL_REVOKE = "crossing:credential:revoke"
    CREDENTIAL_KEY_REGISTER = "crossing:credential_key:register"


class LoanTag(EventTag):
    RECORD = "loans:loan:record"
    CROSS_AWAY = "loans:loan:cross_away"
    RETURN = "loans:loan:return"
    FLAG_OVERDUE = "loans:loan:flag_overdue"
    FLAG_TAXABLE = "loans:loan:flag_taxable"
    CANCEL = "loans:loan:cancel"
    CORRECT = "loans:loan:correct"
    RECORD_PAYMENT = "loans:loan:record_payment"


class InspectionTag(EventTag):
    # Written under the crossing source before inspections had a room of their own.
    ADJUSTMENT_APPROVE = "crossing:adjustment:approve"
    ADJUSTMENT_PROPOSE = "crossing:adjustment:propose"
    ADJUSTMENT_REJECT = "crossing:adjustment:reject"
    INSPECTION_ASSIGN = "crossing:inspection:assign"
    INSPECTION_CANCEL = "crossing:inspection:cancel"
    INSPECTION_COMPLETE = "crossing:inspection:complete"
    INSPECTION_OPEN = "crossing:inspection:open"
    INSPECTION_START = "crossing:inspection:start"
    OVERRIDE_CONFIRM = "crossing:override:confirm"
    OVERRIDE_PROPOSE = "crossing:override:propose"
    OVERRIDE_REJECT = "crossing:override:reject"


class BiometricsTag(EventTag):
    FACE_ENROL = "biometrics:face:enrol"
    FACE_WITHDRAW = "biometrics:face:withdraw"
    FACE_PURGE = "biometrics:face:purge"


class NotificationTag(EventTag):
    DELIVERY_ATTEMPT = "notifications:delivery:attempt"
    WEBHOOK_DISABLE = "notifications:webhook:disable"
    WEBHOOK_REGISTER = "notifications:webhook:register"
    WEBHOOK_ROTATE_SECRET = "notifications:webhook:rotate_secret"


#: Every tag the platform writes.
ALL_TAGS: tuple[EventTag, ...] = tuple(
    tag
    for family in (
        AuthTag,
        RegistryTag,
        LedgerTag,
        FundsTag,
        DataTag,
        CrossingTag,
        ReferenceTag,
        CredentialTag,
        InspectionTag,
        NotificationTag,
        LoanTag,
        BiometricsTag,
    )
    for tag in family
)
