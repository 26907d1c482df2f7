"""asyncpg repositories, one module per table, and the SQL migrations they rely on."""
