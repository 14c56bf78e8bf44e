"""WSGI entry point of the hub (``gunicorn lacompare.hub.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lacompare.hub.settings")
application = get_wsgi_application()
