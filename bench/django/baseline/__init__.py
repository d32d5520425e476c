"""A minimal Django Channels project: the baseline aqueduct is measured against."""
