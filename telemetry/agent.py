"""The per-process sampler: every web and worker process of the product samples its own host.

One daemon thread per process (started by ``controlpanel/wsgi.py`` for web servers and by the
Celery worker signals in ``controlpanel/celery.py``). Every ``TELEMETRY_SAMPLE_SECONDS`` it

1. registers the process (host, pid, role, its own RSS) — app memory is the sum of what this
   deployment's live processes report, never a guess from command lines; and
2. tries to take the host's sample for the current interval. The unique (host, slot)
   constraint is the claim: with four web processes and two worker processes on one machine,
   exactly one of them writes that machine's sample, so host CPU and memory are counted once.

psutil's readings are counter differences (see ``telemetry.sampler``), so nothing blocks. A
forked child (Celery's prefork pool, a pre-loading server) starts its own thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from telemetry import sampler, selectors, services

logger = logging.getLogger("controlpanel.telemetry")


class ProcessSampler:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._stop = threading.Event()
        self.role = "web"
        self.started_at = timezone.now()

    @property
    def host(self) -> str:
        return settings.CONTROLPANEL_HOST_NAME

    def interval(self) -> float:
        return max(0.5, float(settings.TELEMETRY_SAMPLE_SECONDS))

    def start(self, *, role: str) -> bool:
        """Start this process's sampler thread once (again in a forked child); False if already running."""
        with self._lock:
            if self._pid == os.getpid():
                return False
            self._pid = os.getpid()
            self.role = role
            self.started_at = timezone.now()
            self._stop = threading.Event()
            thread = threading.Thread(target=self._run, args=(self._stop,), name="telemetry-sampler", daemon=True)
            thread.start()
            return True

    def stop(self) -> None:
        """Stop the thread and take this process off its host's list (a clean shutdown)."""
        self._stop.set()
        try:
            services.app_process_forget(host=self.host, pid=os.getpid())
        except Exception:  # the database may already be gone at shutdown
            logger.debug("sampler could not unregister", exc_info=True)

    def tick(self, *, now: datetime | None = None, role: str | None = None):
        """Register this process, then take the host's sample for this interval if nobody has."""
        now = now or timezone.now()
        services.app_process_register(host=self.host, pid=os.getpid(), role=role or self.role,
                                      rss_bytes=sampler.process_rss(), started_at=self.started_at, now=now)
        slot = int(now.timestamp() // self.interval())
        return services.system_sample_record(now=now, host=self.host, slot=slot)

    def ensure_sample(self, *, role: str = "web") -> None:
        """Called by the pages that show samples: if this host has no fresh sample (the thread has
        not run yet, or is off), take one now, so a running web process never shows "no sample"."""
        now = timezone.now()
        latest = selectors.latest_sample(now=now, host=self.host)
        if latest is not None and not latest["stale"]:
            return
        self.tick(now=now, role=self.role if self._pid == os.getpid() else role)

    def _run(self, stop: threading.Event) -> None:
        try:
            # A new version marks its release on the charts when its first process starts.
            services.release_mark_version(version=settings.VERSION)
        except Exception:
            logger.warning("release mark failed", exc_info=True)
        while not stop.is_set():
            close_old_connections()
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the thread; the next tick retries
                logger.warning("system sample failed", exc_info=True)
            finally:
                close_old_connections()
            interval = self.interval()
            stop.wait(interval - (time.time() % interval) + 0.05)


process_sampler = ProcessSampler()


def _restart_in_child() -> None:
    if process_sampler._pid is not None and process_sampler._pid != os.getpid():
        process_sampler._pid = None
        process_sampler.start(role=process_sampler.role)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_restart_in_child)


def start(*, role: str) -> bool:
    """Start the sampler for a server process, unless ``TELEMETRY_BACKGROUND_SAMPLER`` is off."""
    if not settings.TELEMETRY_BACKGROUND_SAMPLER:
        return False
    return process_sampler.start(role=role)
