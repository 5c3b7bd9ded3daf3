"""Storage: everything that talks to the database below the repositories.

``types`` (the model base and column types), ``engine`` (engines, sessions, the unit of work),
``writer`` (SQLite's queued writer lock), ``driver`` (driver statements for the gate's fast
paths), ``groupcommit``, ``walcheckpoint`` and ``pagination``. Services and APIs reach the
database only through repositories: they import none of ``driver`` (see pyproject's
import-linter contracts).
"""
