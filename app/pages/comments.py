"""Placeholder until the comments feature lands."""

from app.components.placeholder import placeholder

placeholder("nav.comments")
