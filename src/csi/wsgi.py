"""WSGI entry point for gunicorn (`csi serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csi.settings")
application = get_wsgi_application()
