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
