"""The pure decision engine: facts, rule tables, the decision, its reasons and the selection draw.

Nothing here reads the database or speaks HTTP (an import-linter contract): the same facts give
the same decision at the gate, in a replay and in a backtest.
"""
