"""Pure extraction helpers: tree-sitter Java utilities, code extraction from model replies, failure parsing.

No torch/transformers imports anywhere in this package.
"""
