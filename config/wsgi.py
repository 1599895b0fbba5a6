import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Load the URL configuration (views, serializers, querysets) now, not in the first request.
get_resolver().url_patterns  # noqa: B018
# What exists now lives as long as the worker: modules, models, settings, URL patterns. Freeze
# it, so that the cyclic collector's full collections no longer walk those ~115,000 objects
# (docs/BENCHMARKS.md, "Worker start-up and memory").
gc.collect()
gc.freeze()
