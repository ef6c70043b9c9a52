"""The ``<namespace>.unsubscribe`` every namespace with a ``subscribe`` declares."""

from __future__ import annotations

from app.rpc.context import CallContext
from app.rpc.namespace import Example, Method
from app.rpc.subscriptions import SubscriptionId


def unsubscribe_method(namespace: str) -> Method:
    """``<namespace>.unsubscribe(subscription)``: true if it ended one of this connection's
    subscriptions of that namespace, false if there was none by that id."""

    async def unsubscribe(ctx: CallContext, subscription: SubscriptionId) -> bool:
        return ctx.require_stream().unsubscribe(namespace, subscription)

    unsubscribe.__doc__ = (
        f"End a {namespace}.subscribe subscription of this connection.\n\n"
        "Answers true if it was one, false if there is none by that id (already ended, or "
        "another connection's). Needs the same stream as the subscription."
    )
    return Method(
        unsubscribe,
        idempotent=True,
        examples=[Example("stop", params={"subscription": "0x5f1e2d3c4b5a6978"}, result=False)],
    )
