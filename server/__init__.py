"""The portal's web server around Streamlit (`st.App`, served by `streamlit run portal.py`).

What a page script cannot do: security headers on every response (`headers`), the HttpOnly
session cookie set by a route of ours (`cookies`), and guards in front of Streamlit's own routes
(`guards`: media downloads need a session, metrics stay private, no cross-site websockets). It
may import `services` (never `pages`); `services` never imports it.
"""
