"""API schemas of the improvement app: the CSI register, plans, initiatives and suggestions.

Users are named by username, plans by key, register entries and initiatives by number; money is a
decimal (a JSON string in answers). PATCH bodies change only the fields sent; `version` is the version
the editor saw, and a stale one answers 409 with nothing changed."""
