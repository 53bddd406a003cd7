"""The /api/v1/ kit below every app: the error shape, pagination, shared schemas, session auth, the edge
middleware. It depends on `core` alone; the NinjaAPI instance that mounts every router is `csi.api_root`."""
