"""Placeholder until the reports feature lands."""

from app.components.placeholder import placeholder

placeholder("nav.reports")
