"""Pure computations behind the pages (pandas in, plain values out; no Streamlit)."""
