"""Settings for the benchmark baseline: no database, no middleware, no debug."""

import os

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
# as the Channels tutorial starts with; channels_redis, as the tutorial
# ends with, when CHANNELS_REDIS_URL names the Redis (comma-separated URLs
# are shards). CHANNELS_REDIS_PREFIX is its `prefix` (default "asgi") and
# CHANNELS_REDIS_SYMMETRIC_KEY its one `symmetric_encryption_keys` entry.
if os.environ.get("CHANNELS_REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": os.environ["CHANNELS_REDIS_URL"].split(","),
                "prefix": os.environ.get("CHANNELS_REDIS_PREFIX", "asgi"),
                "symmetric_encryption_keys": [
                    key for key in [os.environ.get("CHANNELS_REDIS_SYMMETRIC_KEY")] if key
                ]
                or None,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
