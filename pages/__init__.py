"""The screens, one script a screen, in a folder a role (run by st.navigation from app.py)."""
