"""The one owner of the schema: migrations, config models and their validation."""
