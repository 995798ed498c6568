"""Where the outbox reads again after a failed batch: never past a reply it did not handle."""

from __future__ import annotations

from aiokafka import TopicPartition

from services.ingest.outbox_loop import rewind_to

A, B, C = (TopicPartition("outbox.replies", p) for p in range(3))


def test_each_partition_goes_back_to_its_first_reply_not_handled() -> None:
    batch = {A: [10, 11, 12], B: [40, 41], C: [7]}
    handled = {A: 11, C: 8}  # A: 10 done, 11 failed; B: nothing yet; C: all done

    assert rewind_to(batch, handled) == {A: 11, B: 40}


def test_a_fully_handled_batch_needs_no_rewind() -> None:
    assert rewind_to({A: [3, 4]}, {A: 5}) == {}
