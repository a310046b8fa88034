"""Serve the API and chat page: ``python -m service``."""

import uvicorn

from index.settings import Settings

from .app import create_app


def main() -> None:
    settings = Settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level=settings.log_level.lower(), access_log=False)


if __name__ == "__main__":
    main()
