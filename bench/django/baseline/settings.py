"""Settings for the benchmark baseline: no database, no middleware, no debug."""

# Only ever served on loopback for benchmarks; nothing here is signed.
SECRET_KEY = "aqueduct-bench-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["channels"]
MIDDLEWARE = []
ROOT_URLCONF = "baseline.urls"
USE_TZ = True

ASGI_APPLICATION = "baseline.asgi.application"

# Channels' in-memory layer with its defaults (capacity 100, expiry 60 s),
# as the Channels tutorial starts with.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
