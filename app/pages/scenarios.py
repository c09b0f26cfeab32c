"""Placeholder until the scenarios feature lands."""

from app.components.placeholder import placeholder

placeholder("nav.scenarios")
