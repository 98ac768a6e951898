"""What one WebSocket may hold: a place among its user's DOWNLINE_MAX_SOCKETS_PER_USER, and
DOWNLINE_WS_INIT_SECONDS to sign in.

One user once held 500 sockets open with 100 subscriptions each, and every other user waited
behind them; 300 legacy graphql-ws sockets that never sent connection_init stayed open forever.
Counted per API process: each process knows its own sockets, and a count shared across processes
(in Redis) would need leases that expire to survive a killed process. Behind N processes a user
may hold N times the limit.
"""

import asyncio

# graphql-transport-ws's codes: "Too many initialisation requests" (reused, with our own reason)
# and "Connection initialisation timeout"; legacy graphql-ws has none, so it gets the same.
TOO_MANY = 4429
INIT_TIMEOUT = 4408


class Places:
    """How many WebSockets each user holds open in this process (all on its event loop)."""

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self.held: dict[str, int] = {}

    def take(self, email: str) -> bool:
        if self.held.get(email, 0) >= self.per_user:
            return False
        self.held[email] = self.held.get(email, 0) + 1
        return True

    def give_back(self, email: str) -> None:
        self.held[email] -= 1
        if not self.held[email]:
            del self.held[email]


class FairSockets:
    """Mixed into both protocols' handlers, before CredentialsOverTime. A socket takes its place
    once signed in and gives it back however it ends (a close, a dropped connection, the server
    stopping). Legacy graphql-ws has no sign-in deadline of its own: it gets the one strawberry
    keeps for graphql-transport-ws (the view's connection_init_wait_timeout)."""

    # graphql-transport-ws: strawberry closes a socket that sends no connection_init in time.
    init_deadline_of_its_own = True
    place: str | None = None  # the user whose place this socket holds
    init_received = False

    async def handle(self) -> None:
        deadline = None
        if not self.init_deadline_of_its_own:
            deadline = asyncio.create_task(self._close_unless_init())
        try:
            await super().handle()
        finally:
            if deadline is not None:
                deadline.cancel()
            if self.place is not None:
                self.view.places.give_back(self.place)
                self.place = None

    async def handle_connection_init(self, message) -> None:
        self.init_received = True
        await super().handle_connection_init(message)
        if not self.connection_acknowledged:
            return
        email = self.context.principal.email
        if self.place == email:
            return  # legacy graphql-ws signing in again as the same user
        if self.place is not None:
            self.view.places.give_back(self.place)  # ... or as another: its place moves
            self.place = None
        if not self.view.places.take(email):
            # Closed before its next message is read: no operation runs on it.
            await self.websocket.close(code=TOO_MANY, reason="Too many connections")
            return
        self.place = email

    async def _close_unless_init(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.init_received:
            await self.websocket.close(
                code=INIT_TIMEOUT, reason="Connection initialisation timeout"
            )
