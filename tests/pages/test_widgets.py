"""The shared page idioms: an action shows its message only when it worked (a refusal shows the
service's words and keeps the page's input), a catalog choice offers words and gives codes, and a
download takes its type from its name."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _acting_page() -> None:
    import streamlit as st

    from pages.components import state
    from services.core.errors import ValidationError

    state.show_flash()
    done = st.session_state.setdefault("done", [])
    amount = st.text_input("Amount", key="amount")

    def work() -> int:
        if not amount.isdigit():
            raise ValidationError({"amount": "Type a whole number."})
        done.append(int(amount))
        return int(amount)

    if st.button("Save", key="save"):
        state.act(work, lambda n: f"Saved {n}.")


def test_an_action_shows_its_message_and_a_refusal_changes_nothing() -> None:
    at = AppTest.from_function(_acting_page).run()
    at.text_input(key="amount").input("ten").run()
    at.button(key="save").click().run()
    assert [e.value for e in at.error] == [
        "Please correct the marked fields.",
        "Amount: Type a whole number.",
    ]
    assert not at.success and at.session_state["done"] == []
    assert at.text_input(key="amount").value == "ten"  # what was typed is still there
    at.text_input(key="amount").input("10").run()
    at.button(key="save").click().run()
    assert [s.value for s in at.success] == ["Saved 10."]
    assert not at.error and at.session_state["done"] == [10]


def _choosing_page() -> None:
    import streamlit as st

    from pages.components.widgets import choose, download, reason

    catalog = {"harm": "Preventing harm", "asked": "The patient asked"}
    st.session_state["picked"] = choose("Why", catalog, "why")
    st.session_state["denied"] = reason("Ground", catalog, "Note", 50, "deny", radio=True)
    download("Letter", b"%PDF-1.4", file_name="letter.pdf", key="letter")
    download("Table", b"a,b", file_name="table.csv", key="table")
    download("Other", b"x", file_name="notes.bin", key="other", mime="text/plain")


def test_a_catalog_choice_offers_words_and_gives_codes_and_downloads_are_typed() -> None:
    at = AppTest.from_function(_choosing_page).run()
    assert at.selectbox(key="why").options == ["Preventing harm", "The patient asked"]
    assert at.session_state["picked"] == "harm"
    at.selectbox(key="why").select_index(1)
    at.radio(key="deny_reason").set_value("asked")
    at.text_area(key="deny_note").input("Their own request.").run()
    assert at.session_state["picked"] == "asked"
    assert at.session_state["denied"] == ("asked", "Their own request.")
    kinds = {
        d.proto.label: d.proto.url.split("?")[0].rsplit(".", 1)[-1]
        for d in at.get("download_button")
    }
    # The media URL's ending is the type's: from the name, or the one given.
    assert kinds == {"Letter": "pdf", "Table": "csv", "Other": "txt"}
