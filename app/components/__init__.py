"""Reusable pieces of the Streamlit pages (map, KPI row)."""
