"""Browser end-to-end tests of the visitor page (web_client/) against the real `dhe serve`."""
