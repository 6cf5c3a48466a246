"""``zhengwu worker``: run the arq worker for every job the core and the plugins declare.

Production runs one or more of these beside the servers, against ``ZHENGWU_REDIS_URL``; the
schedules (cron) run here too, once per slot however many workers there are. Without Redis
there is nothing to run: the server runs jobs itself (embedded mode). This module only
wires settings, plugins and the arq adapter together; it must never hold job logic.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import typer

from zhengwu.cli import _runtime as runtime
from zhengwu.core.jobs import make_registry
from zhengwu.core.jobs.arq_queue import DEFAULT_QUEUE_NAME, run_worker

__all__ = ["worker"]


def worker(
    burst: bool = typer.Option(False, "--burst",
                               help="Run what is queued, then exit (schedules are not run)."),
    queue: str = typer.Option(DEFAULT_QUEUE_NAME, "--queue", help="Redis queue name."),
    max_jobs: int = typer.Option(10, "--max-jobs", min=1, help="Jobs run at the same time."),
) -> None:
    """Run background jobs and schedules from Redis (ZHENGWU_REDIS_URL)."""
    from zhengwu.platform import boot

    settings = runtime.get_settings()
    if not settings.redis_url:
        runtime.err_console.print(
            "[red]error[/red] no Redis configured (ZHENGWU_REDIS_URL): jobs run inside the "
            "server / 未配置 Redis：任务在服务进程内运行")
        raise typer.Exit(1)
    registry = make_registry(boot().jobs())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    runtime.console.print(
        f"worker: {len(registry)} job(s), {len(registry.schedules)} schedule(s), "
        f"queue {queue!r}{' (burst)' if burst else ''}")
    # Signal handlers can only be installed from the main thread (tests call us elsewhere).
    on_main_thread = threading.current_thread() is threading.main_thread()
    asyncio.run(run_worker(settings, registry, queue_name=queue, burst=burst,
                           max_jobs=max_jobs, handle_signals=on_main_thread))
