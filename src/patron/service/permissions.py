"""Who may do what: one matrix of roles × actions, checked inside the service layer.

Roles are departments (seed 001: CRM shares intelligence between the
departments that meet the customer). Every use case that needs a permission
calls :meth:`User.require` itself, so the CLI, the API and the pages cannot
differ; the API and the pages also declare it as a dependency
(:func:`patron.api.deps.allowed`, :func:`patron.web.deps.page_allowed`), so a
route says what it needs where it is defined, and refuses before any work.

=============================  =====  =====  =====  =====  ======  =====
action                         mkt    sales  serv.  bill.  analyst admin
=============================  =====  =====  =====  =====  ======  =====
``customers.read``             yes    yes    yes    yes    yes     yes
``personal_data.read``                yes    yes    yes            yes
``customers.write``            yes    yes    yes    yes            yes
``segments.export``            yes    yes    yes    yes    yes     yes
``runs.start``                 yes                         yes     yes
``imports.run``                                     yes    yes     yes
``imports.rows.read``                               yes    yes     yes
``imports.parties``                                 yes            yes
``imports.undo``                                    yes    yes     yes
``runs.promote``                                                   yes
``privacy.requests``                                               yes
``jobs.read``                  yes    yes    yes    yes    yes     yes
``audit.read``                                                     yes
``users.manage``                                                   yes
``campaigns.results``          yes                         yes     yes
``holdout.override``                                               yes
=============================  =====  =====  =====  =====  ======  =====
"""

from __future__ import annotations

from dataclasses import dataclass

from patron.errors import PermissionDenied
from patron.store.vocabulary import ROLES


@dataclass(frozen=True)
class Action:
    name: str
    #: What the refusal says after "The <role> role ...".
    refusal: str


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("customers.read", "cannot see customer records"),
    Action("personal_data.read", "sees personal data masked"),
    Action("customers.write", "can read but not change customer records"),
    Action("segments.export", "cannot export customer lists"),
    Action("runs.start", "cannot start analysis runs"),
    Action("imports.run", "cannot import files"),
    Action("imports.rows.read", "cannot see raw imported rows"),
    Action("imports.parties", "cannot import files that add or change customer records (a parties file, or "
           "activity that creates customers)"),
    Action("imports.undo", "cannot undo imports"),
    Action("runs.promote", "cannot choose which analysis run the pages show"),
    Action("privacy.requests", "cannot export or erase a person's data"),
    Action("jobs.read", "cannot follow background jobs"),
    Action("audit.read", "cannot read the audit log"),
    Action("users.manage", "cannot add, disable or change users, nor make or revoke their API tokens"),
    Action("campaigns.launch", "cannot save playbooks or create, launch, pause or cancel campaigns"),
    Action("holdout.override", "cannot include the global holdout in a campaign nor leave it out (an admin can)"),
    Action("campaigns.results", "cannot see what campaigns changed, nor train the uplift model on them"),
    Action("outbox.read", "cannot see the outbox of messages"),
    Action("outbox.manage", "cannot send or re-queue messages"),
    Action("contact_events.write", "cannot record bounces, complaints or unsubscribes"),
    Action("service_levels.manage", "cannot change the complaint desk's service levels and calendar"),
    Action("relationship_rules.manage", "cannot change the relationship rules (strength weights, stage "
           "thresholds, alerts, Bensaou's cut-offs)"),
)}

_EVERYONE = frozenset(ROLES)
MATRIX: dict[str, frozenset[str]] = {
    "customers.read": _EVERYONE,
    # Roles that work with customers one to one and so need their contact details.
    "personal_data.read": frozenset({"sales", "service", "billing", "admin"}),
    # Analysts read; everyone else may log contacts, open and resolve complaints.
    "customers.write": frozenset({"sales", "service", "billing", "marketing", "admin"}),
    "segments.export": _EVERYONE,
    "runs.start": frozenset({"analyst", "marketing", "admin"}),
    "imports.run": frozenset({"analyst", "billing", "admin"}),
    "imports.rows.read": frozenset({"analyst", "billing", "admin"}),
    # Customer records are changed only by roles that may change them (an analyst imports orders, not people).
    "imports.parties": frozenset({"billing", "admin"}),
    "imports.undo": frozenset({"analyst", "billing", "admin"}),
    "runs.promote": frozenset({"admin"}),
    "privacy.requests": frozenset({"admin"}),
    "jobs.read": _EVERYONE,
    "audit.read": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "campaigns.launch": frozenset({"marketing", "admin"}),
    # The global holdout is what every campaign is measured against: only an admin may set it aside, audited.
    "holdout.override": frozenset({"admin"}),
    # Results are aggregates, but the uplift model's suggestions name parties: the roles that plan campaigns.
    "campaigns.results": frozenset({"analyst", "marketing", "admin"}),
    "outbox.read": frozenset({"marketing", "analyst", "admin"}),
    # Re-queueing a dead message sends it again: an admin's decision; marketers record bounces and complaints.
    "outbox.manage": frozenset({"admin"}),
    "contact_events.write": frozenset({"marketing", "service", "admin"}),
    # The service levels are the promises the charter is judged on: the service team's lead (or an admin).
    "service_levels.manage": frozenset({"service", "admin"}),
    # The rules every account's stage, alerts and portfolio cell are judged by: the account managers' (sales).
    "relationship_rules.manage": frozenset({"sales", "admin"}),
}
if set(MATRIX) != set(ACTIONS) or not all(roles <= _EVERYONE for roles in MATRIX.values()):  # pragma: no cover
    raise RuntimeError("every action needs one row of the matrix, naming known roles only")


def matrix_markdown() -> str:
    """The matrix as the Markdown table of docs/roles.md (a test keeps that file equal to this)."""
    lines = ["| action | without it, the role ... | " + " | ".join(ROLES) + " |",
             "|---|---|" + "---|" * len(ROLES)]
    for name, action in ACTIONS.items():
        marks = " | ".join("yes" if role in MATRIX[name] else "" for role in ROLES)
        lines.append(f"| `{name}` | {action.refusal} | {marks} |")
    return "\n".join(lines) + "\n"


def allowed(role: str, action: str) -> bool:
    """May ``role`` do ``action``? An action that is not in the matrix is an error, not a refusal."""
    return role in MATRIX[action]


@dataclass(frozen=True)
class User:
    """Who is asking: a signed-in person or the owner of an API token."""

    user_id: int
    username: str
    role: str
    full_name: str | None = None
    #: Where the request came from (the client's address), for the audit log; ``None`` on the command line.
    address: str | None = None

    def may(self, action: str) -> bool:
        return allowed(self.role, action)

    def require(self, action: str) -> None:
        """Go on if the role may do ``action``; else :class:`~patron.errors.PermissionDenied`."""
        if not self.may(action):
            raise PermissionDenied(f"The {self.role} role {ACTIONS[action].refusal}.")

    @property
    def sees_personal_data(self) -> bool:
        return self.may("personal_data.read")

    @property
    def can_write(self) -> bool:
        return self.may("customers.write")
