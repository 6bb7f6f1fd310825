"""Cleaning: a raw input down to its article, with the evidence for every decision.

`html` is the only module that imports trafilatura; `text` cleans plain-text dumps; `dates` and
`language` are the metadata finders both use; `rules/` holds what is said in words, one module
per language. Importing this package loads none of them.
"""
