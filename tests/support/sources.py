"""Hot sources that more than one test module deploys."""

from __future__ import annotations

FAILING = """
::tests::failing ns

explode
meta {on-event: "test:explode"}
fn (event) {
  fail("boom: nothing works", {code: 42})
}

native-error
meta {on-event: "test:native"}
fn (event) {
  add("a", 1)
}
"""
"""Handlers that fail: one with `fail` and its data, one with a runtime error of a core function."""

JOBS = """
::app::jobs ns

tick
meta {schedule: "*/2 * * * * *"}
fn (event) {
  event
}

morning
meta {schedule: "every day at 9:00 am"}
fn (event) {
  event
}
"""
"""Two static schedules: every two seconds, and an English phrase."""

MATH = """
::app::math ns

add
fn (a, b) {
  add(a, b)
}
"""
"""A function for one-time and dynamic schedules to call."""

EVERY_SECOND = """
::app::clock ns

second
meta {schedule: "* * * * * *"}
fn (event) {
  event
}
"""
"""A static schedule that fires every second."""

SEED_CHAT = """handle-chat
meta { on-event: "chat:message" }
fn (event) {
// Call a streaming AI API
response ::anthropic::messages/post-stream({
model: "claude-sonnet-4-20250514",
max_tokens: 4096,
messages: [{role: "user", content: event.data.message}]
})
// Process stream and emit chunks to the client
process-stream(response.body, "")
}
// Recursive stream processor
process-stream fn (iter, accumulated: Str): Str {
result next(iter)
cond {
result.done => { accumulated }
=> {
delta or(result.value.data.delta.text, "")
// Emit chunk to client in real-time
::hot::stream/data("ai:delta", { text: delta })
process-stream(iter, concat(accumulated, delta))
}
}
}
"""
"""The product page's `handle-chat` / `process-stream`, verbatim (its line breaks; the page lost the
indentation, which Hot ignores): the unit, package and end-to-end tests all run this one text."""
