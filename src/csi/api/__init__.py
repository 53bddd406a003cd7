"""The /api/v1/ layer: the NinjaAPI instance, authentication, the one error shape, pagination."""
