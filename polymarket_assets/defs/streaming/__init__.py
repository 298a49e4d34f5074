"""Streaming definitions: the order-book logger job and the sensor that keeps one run alive."""
