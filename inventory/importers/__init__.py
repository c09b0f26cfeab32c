"""Importers: real files in, validated rows out, all or nothing.

Each importer parses its format, collects every problem (file, sheet, row, column, value,
expected), and raises :class:`~inventory.importers.problems.ImportRejectedError` before anything is
written when there is an error. Otherwise it writes in the caller's session and returns an
:class:`~inventory.importers.problems.ImportReport`; the caller commits, or rolls back for a
dry run.
"""
