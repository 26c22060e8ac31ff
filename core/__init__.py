"""What the service (``api``) and the push side (``notifications``) both stand on: the database
client and transactions (``db``), the one settings class (``settings``), the message catalogue
(``i18n``, ``messages.json``), the report-change record every write publishes (``changes``) and
the request-id log context (``logs``).

It imports neither of them, so ``notifications`` needs nothing from ``api`` and the two do not
import each other in a circle: ``api`` wires ``notifications`` (``api/worker.py``), never the
reverse.
"""
