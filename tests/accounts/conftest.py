"""Fixtures for the accounts suites."""
