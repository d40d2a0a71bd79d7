"""The SQLite store (SQLAlchemy 2.x). No Textual imports here."""
