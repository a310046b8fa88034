"""The HTTP service: a thin FastAPI layer over the engine in ``index/``."""
