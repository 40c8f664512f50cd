"""Executor: consumes events from JetStream, routes them to handlers, runs the Hot interpreter."""
