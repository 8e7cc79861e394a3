"""Schedulers: ``frontier`` (memory, then per-run disk queues; the default) and ``shared``
(one frontier in Redis for many workers, ``--redis``)."""
