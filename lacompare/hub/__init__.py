"""The returns hub: member services submit their annual return online; the network
checks it and publishes benchmarks from it (``lacompare hub ...``).

A Django project (``settings``, ``urls``, ``wsgi``, the ``returns`` app) on PostgreSQL.
The form of a round is data (``rounds/*.toml``, read by :mod:`.definition`); uploads
and templates are in :mod:`.returns_file`. Django is imported only by the hub's own
entry points, never by the rest of lacompare.
"""

from __future__ import annotations

import os


def setup_django() -> None:
    """Load the hub's settings (from ``LACOMPARE_HUB_*`` variables) and start Django.

    Does nothing when Django is already set up (e.g. by a test's settings).
    """
    import django
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lacompare.hub.settings")
    django.setup()
