"""``--log-params``: the dispatcher that keeps each call's params on its record for the call
log, which shows or redacts them (``app.server.call_log``). Only this subclass keeps them, so
by default no record holds a request's params while its log line waits to be written."""

from __future__ import annotations

from typing import Any

from app.rpc.dispatch import Dispatcher, Response, _Request, _Waiting
from app.rpc.errors import RPCError


class ParamsDispatcher(Dispatcher):
    def _start(
        self, doc: Any, started: float, request: _Request, refusal: RPCError | None = None
    ) -> Response | _Waiting:
        response = super()._start(doc, started, request, refusal)
        if type(doc) is dict:
            call = response.call if isinstance(response, _Waiting) else request.records[-1]
            call.params = doc.get("params")
        return response
