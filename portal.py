"""The entry point: `streamlit run portal.py` (what `make run` does) serves app.py inside st.App
with the portal's routes, middleware and lifespan (see the `server` package). Start the portal
here, never with `streamlit run app.py`, which would lack the routes and the security headers."""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from server import cookies, guards, headers, lifespan, payments, sso
from services.core import private_files

private_files.restrict_new_files()  # the data directory's files are the app user's alone

app = st.App(
    "app.py",
    lifespan=lifespan.jobs_in_this_process,
    routes=cookies.routes() + payments.routes() + sso.routes(),
    # The first runs outermost: every response gets the headers, refusals included.
    middleware=[
        Middleware(headers.SecurityHeaders),
        Middleware(guards.RequestGuards),
        Middleware(cookies.BrowserBinding),
    ],
)
