"""The API's contract run: schemathesis against a live server, as two users (tests/api/test_schemathesis.py)."""
