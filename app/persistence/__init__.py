"""SQLAlchemy models, the engine and session factory, and the Alembic glue."""
