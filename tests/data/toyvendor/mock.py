"""The toy vendor's mock: things are created ``new`` and read back ``done`` from the second
read (the lifecycle steps of ``MockOptions``)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.mock import Call, Lifecycle, Reply, Vendor, handles

__all__ = ["ToyMock"]


class ToyMock(Vendor):
    api = "toyvendor"
    scenarios: ClassVar[dict[str, str]] = {"slow": "things stay new (never done)"}

    def reset(self) -> None:
        self.things: dict[str, tuple[str, Lifecycle]] = {}

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"error": code, "message": message}

    @handles("createThing")
    def create(self, call: Call) -> Reply:
        thing_id = f"t-{len(self.things) + 1}"
        self.things[thing_id] = (call.body["name"], Lifecycle(("new", "done")))
        return Reply(201, self._render(thing_id))

    @handles("getThing")
    def get(self, call: Call) -> Reply:
        thing_id = call.path_params["thing_id"]
        if thing_id not in self.things:
            return self.not_found(call)
        if self.pick_scenario(call, "") != "slow":
            self.things[thing_id][1].poll(self.options)
        return Reply(200, self._render(thing_id))

    def _render(self, thing_id: str) -> dict[str, Any]:
        name, lifecycle = self.things[thing_id]
        done = lifecycle.state == "done"
        return {"id": thing_id, "name": name, "state": lifecycle.state,
                "done_at": "2026-01-01T10:00:00Z" if done else None}

    def state(self) -> dict[str, Any]:
        return {"things": {k: v[1].state for k, v in self.things.items()}}
