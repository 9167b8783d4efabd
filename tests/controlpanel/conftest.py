"""Fixtures for the cross-app plumbing suites."""
