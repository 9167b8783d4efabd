"""Gunicorn settings read from the working directory (the command line in Procfile sets the rest).

A worker that stops (SIGTERM, a restart, ``max_requests``) writes the request telemetry it has
counted but not yet flushed; ``atexit`` covers processes gunicorn does not run.
"""


def worker_exit(server, worker):
    from telemetry.collector import collector

    collector.flush_at_exit()
