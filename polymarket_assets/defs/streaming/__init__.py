"""Streaming definitions: the REST order-book logger job and the WebSocket order-book stream job, each with the
sensor that keeps one run alive."""
