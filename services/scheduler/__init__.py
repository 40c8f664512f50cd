"""Scheduler: cron and English schedules, one-time and dynamic schedules, due retries, one leader.

This slice serves health, reflection and status; firing arrives with the scheduler issue.
"""
