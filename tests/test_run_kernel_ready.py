"""A kernel is ready when it has answered ``kernel_info`` and its IOPub channel carries that
request's messages; no fixed wait on a silent channel after that (jupyter_client's own wait
ends by reading IOPub until it has been silent for 0.2 s, every notebook)."""

from __future__ import annotations

import asyncio
import itertools
from queue import Empty

import pytest

from evalkit.run import kernel

_IDS = itertools.count()


class Channel:
    """A channel whose messages come from a script: ``get_msg`` returns the next one, or,
    when none is left, records how long it was asked to wait and raises ``Empty`` at once."""

    def __init__(self) -> None:
        self.queue: list[dict] = []
        self.waited: list[float] = []

    async def get_msg(self, timeout: float | None = None) -> dict:
        if self.queue:
            return self.queue.pop(0)
        self.waited.append(timeout)
        raise Empty


class Client(kernel.ready_client_class()):
    """The ready client on scripted channels: ``answers`` says, per ``kernel_info`` request,
    whether the kernel replies on the shell channel and whether its status reaches IOPub."""

    def __init__(self, answers: list[tuple[bool, bool]], alive: bool = True) -> None:
        self.shell, self.iopub = Channel(), Channel()
        self.answers, self.alive, self.sent, self.handled = list(answers), alive, [], None

    @property
    def shell_channel(self):
        return self.shell

    @property
    def iopub_channel(self):
        return self.iopub

    def kernel_info(self) -> str:
        msg_id = f"request-{next(_IDS)}"
        self.sent.append(msg_id)
        replies, published = self.answers.pop(0) if self.answers else (False, False)
        if published:  # an earlier message of no request, then this request's status
            self.iopub.queue += [{"parent_header": {}, "msg_type": "stream"},
                                 {"parent_header": {"msg_id": msg_id}, "msg_type": "status"}]
        if replies:
            self.shell.queue.append({"msg_type": "kernel_info_reply",
                                     "parent_header": {"msg_id": msg_id},
                                     "content": {"status": "ok"}})
        return msg_id

    async def _async_is_alive(self) -> bool:
        return self.alive

    def _handle_kernel_info_reply(self, msg: dict) -> None:
        self.handled = msg


def test_the_client_is_ready_once_answered_without_waiting_on_a_silent_channel():
    client = Client([(True, True)])
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.handled["parent_header"]["msg_id"] == client.sent[0]
    assert len(client.sent) == 1
    assert client.iopub.waited == [] and client.shell.waited == []
    # the message of no request read on the way is dropped, the status too
    assert client.iopub.queue == []


def test_a_reply_before_iopub_is_connected_asks_again():
    # The first request's status was published before IOPub was connected (lost); the
    # kernel is not taken as ready until a status reaches IOPub.
    client = Client([(True, False), (True, True)])
    asyncio.run(client.wait_for_ready(timeout=5))
    assert len(client.sent) == 2
    assert client.handled["parent_header"]["msg_id"] == client.sent[1]
    assert client.iopub.waited and max(client.iopub.waited) <= kernel.IOPUB_SECONDS


def test_a_kernel_slow_to_reply_is_asked_again_and_a_dead_one_fails():
    client = Client([(False, False), (False, False), (True, True)])
    asyncio.run(client.wait_for_ready(timeout=5))
    assert len(client.sent) == 3
    assert client.shell.waited == [kernel.REPLY_SECONDS] * 2
    dead = Client([(False, False)], alive=False)
    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(dead.wait_for_ready(timeout=5))


def test_a_kernel_that_never_answers_times_out():
    client = Client([], alive=True)
    with pytest.raises(RuntimeError, match="didn't respond"):
        asyncio.run(client.wait_for_ready(timeout=0))


def test_the_runs_kernel_manager_makes_ready_clients(tmp_path):
    manager = kernel.kernel_manager_class()(connection_file=str(tmp_path / "k.json"))
    assert isinstance(manager.client(), kernel.ready_client_class())
