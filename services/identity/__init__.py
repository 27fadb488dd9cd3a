"""Who someone is and what their account does: sign-in and throttling (auth), passwords, the
second factor, server-side sessions, registration, recovery, the account page, administration of
accounts, and whom a signed-in user acts for (acting). Uses core; uses records only to end a
disabled account's share links."""
