"""Bulk SMS campaigns to an audience, with incentives, schedules, results and a control group."""
