"""CORS for the API, and none for the sign-in pages.

The authorization endpoint and its forms are for a person's browser navigating there, never for
another site's script (RFC 9700 §2.6 wants no CORS at the authorization endpoint): whatever
``CORS_ORIGINS`` says, they answer without CORS headers.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware

from web import pages


class CORSExceptPages(CORSMiddleware):
    def __init__(self, app, **options) -> None:
        super().__init__(app, **options)
        self.without_cors = app
        self.page_paths = pages.page_paths()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] in self.page_paths:
            return await self.without_cors(scope, receive, send)
        await super().__call__(scope, receive, send)
