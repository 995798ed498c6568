"""Work queues: every queue's counts, and a queue's cases in working order."""
