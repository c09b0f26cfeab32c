"""Pure pandas/numpy indicators, standards and equity statistics for skolbib."""
