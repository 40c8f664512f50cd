"""Entry point: `python -m services.executor` (the object graph is built in `app.py`)."""

from __future__ import annotations

from services.core.process import run_service
from services.executor.app import run_executor

if __name__ == "__main__":
    run_service("executor", run_executor)
