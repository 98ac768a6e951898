"""WebSockets to a real `downline serve` (the `websockets` client), for floods and dropped
connections, which the test client cannot make."""

import asyncio
import json

import websockets

START = {"graphql-transport-ws": "subscribe", "graphql-ws": "start"}


def ws_url(base_url: str) -> str:
    return base_url.replace("http", "ws", 1) + "/graphql"


async def signed_in(url: str, token: str, protocol: str = "graphql-transport-ws"):
    """A socket of `protocol` whose connection_init the server acknowledged."""
    # No keepalive pings: a server slow to answer them is what a test measures, not a reason to
    # give up on the socket.
    ws = await websockets.connect(url, subprotocols=[protocol], open_timeout=10, ping_interval=None)
    payload = {"authorization": f"Bearer {token}"}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "connection_ack", message
    return ws


async def next_or_close(ws, within: float = 10.0) -> dict | tuple[int, str]:
    """The next message, or (code, reason) once the server closed the socket."""
    try:
        return json.loads(await asyncio.wait_for(ws.recv(), within))
    except websockets.ConnectionClosed as closed:
        return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (1006, "")


async def usable(ws, within: float = 10.0) -> bool:
    """A graphql-transport-ws socket answers a ping (one closed after its ack does not)."""
    try:
        await ws.send(json.dumps({"type": "ping"}))
    except websockets.ConnectionClosed:
        return False
    return await next_or_close(ws, within) == {"type": "pong"}


async def subscribe(ws, protocol: str, id_: str, query: str, variables: dict) -> None:
    payload = {"query": query, "variables": variables}
    await ws.send(json.dumps({"id": id_, "type": START[protocol], "payload": payload}))
