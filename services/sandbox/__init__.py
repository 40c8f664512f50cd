"""Running user code out of process: a pool of Hot interpreter workers (issue 10).

The executor, ingest (deploys) and the scheduler (static schedules) never run Hot code in their
own process. They hand each load or call to a `WorkerPool` (`pool.py`) of pre-started
`python -m services.sandbox.worker` processes (`worker.py`), talking over pipes in
length-prefixed JSON frames (`frames.py`, never pickle). A worker runs one thing at a time,
under its own memory limit; the parent kills it (SIGKILL) when a time limit plus a grace
passes, or when its resident memory passes the limit, and starts a replacement.
"""
