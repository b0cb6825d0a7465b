"""Pure domain logic: workflow definitions, the treaty clock, the engine and the audit chain.

Nothing here imports Flask or SQLAlchemy (a test scans the imports).
"""
