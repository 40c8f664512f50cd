"""Hot source → AST: lexer, indentation layout, the lark grammar, the tree builder and its folds.

The lowest layer above :mod:`hotlang.errors`: it knows nothing of values or of
running code (see ``docs/architecture.md``, "hotlang layers").
"""
