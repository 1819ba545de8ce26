"""Set-up of each worker process of emostream's LocalClusters (a Dask preload module).

When a LocalCluster closes, the scheduler retires its workers while a worker's heartbeat may
be on its way; the worker then logs "Failed to communicate with scheduler during heartbeat."
at ERROR with two tracebacks (dask/distributed#7105), after every result is in. The filter
below drops that record when its cause is the scheduler closing the connection. A heartbeat
that fails any other way (a timeout, a refused connection) is still logged.
"""

from __future__ import annotations

import logging
from typing import Any

from distributed.comm.core import CommClosedError

HEARTBEAT_FAILED = "Failed to communicate with scheduler during heartbeat."


class ClosedSchedulerHeartbeat(logging.Filter):
    """Drops a worker's heartbeat failure caused by the scheduler closing the connection."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != HEARTBEAT_FAILED or record.exc_info is None:
            return True
        return not isinstance(record.exc_info[1], CommClosedError)


def dask_setup(worker: Any) -> None:
    """Dask calls this in each worker process as it starts (`distributed.worker.preload`)."""
    logger = logging.getLogger("distributed.worker")
    if not any(isinstance(f, ClosedSchedulerHeartbeat) for f in logger.filters):
        logger.addFilter(ClosedSchedulerHeartbeat())
