"""The shared core: what the pipeline and the dashboard both need, and nothing else.

- `metrics`: the metric registry (every figure's words, formula, caveat) and the named
  selections of figures (headlines, the jobs trio) that pages, cards and the brief use;
- `categories`: NAICS sectors and their plain-language categories;
- `paths`: where things live on disk;
- `errors`: the one error type a user sees, a sentence they can act on.

It imports neither the pipeline nor the dashboard nor Streamlit (import-linter checks).
"""
