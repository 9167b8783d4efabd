"""Test settings: the real settings module with test-friendly defaults from the environment.

Everything still comes from ``controlpanel.settings``; this only sets defaults before it is
read, so the suite runs against whatever DATABASE_URL / REDIS_URL the environment gives.
"""

import os

os.environ.setdefault("CONTROLPANEL_TESTING", "true")
os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("CACHE_KEY_PREFIX", f"cptest{os.getpid()}")

from controlpanel.settings import *  # noqa: E402,F403
