"""Billing: statements and their lines, insurance on file, payments and payment plans (the tables
today; the services come with the billing issue). Uses core; never clinical content."""
