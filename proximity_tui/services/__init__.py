"""The service layer: everything the UI and the CLI call. No Textual imports here."""
