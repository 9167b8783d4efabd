"""The WSGI entry point for any server (gunicorn, granian, runserver): each process that imports
it serves the product and samples its own host in the background (``telemetry.agent``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlpanel.settings")
application = get_wsgi_application()

from telemetry import agent  # noqa: E402 - needs the settings configured above

agent.start(role="web")
