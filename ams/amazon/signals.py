"""What other apps may react to, without ams.amazon importing them.

``connection_authorized(sender, connection, initial)``
    Sent after the transaction that stored a new refresh token commits: on a first connect
    (``initial=True``) and on every re-authorization (``initial=False``). The sync app queues the
    connection's first (or resumed) sync from here.

``connection_disconnected(sender, connection)``
    Sent inside the disconnect transaction, after the vault rows are gone and the connection is
    marked disconnected. Receivers cancel the connection's running and queued work; if one raises,
    the disconnect rolls back and the user sees an error rather than a half-disconnected account.
"""

from __future__ import annotations

from django.dispatch import Signal

connection_authorized = Signal()
connection_disconnected = Signal()
