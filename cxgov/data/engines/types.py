"""The column types cxgov reasons about, one vocabulary for every engine.

Each engine reports a source's columns in these names (DuckDB's spelling): text is VARCHAR; whole numbers
SMALLINT, INTEGER, BIGINT...; fractions REAL, DOUBLE, DECIMAL(p,s); naive wall-clock time TIMESTAMP (and DATE);
instants TIMESTAMP WITH TIME ZONE; BOOLEAN. A type outside the vocabulary keeps the engine's own name, upper-cased,
so a message can show it.
"""

from __future__ import annotations

TEXT = "VARCHAR"
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"
TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE")
TEXT_TYPES = (TEXT,)
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT")
NUMERIC_TYPES = INTEGER_TYPES + ("FLOAT", "DOUBLE", "REAL")


def is_numeric_type(type_: str) -> bool:
    return type_ in NUMERIC_TYPES or type_.startswith("DECIMAL")


def is_timestamp_type(type_: str) -> bool:
    return type_ in TIMESTAMP_TYPES or type_ == TIMESTAMPTZ


# PostgreSQL's type names (format_type spelling, without modifiers) in cxgov's vocabulary
POSTGRES_TYPES = {
    "text": TEXT, "character varying": TEXT, "character": TEXT, "varchar": TEXT, "char": TEXT, "name": TEXT,
    "citext": TEXT, "smallint": "SMALLINT", "integer": "INTEGER", "bigint": "BIGINT", "real": "REAL",
    "double precision": "DOUBLE", "numeric": "DECIMAL", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp without time zone": "TIMESTAMP", "timestamp with time zone": TIMESTAMPTZ,
}

# Spark's simple type strings in cxgov's vocabulary
SPARK_TYPES = {
    "string": TEXT, "varchar": TEXT, "char": TEXT, "tinyint": "TINYINT", "byte": "TINYINT", "smallint": "SMALLINT",
    "short": "SMALLINT", "int": "INTEGER", "integer": "INTEGER", "bigint": "BIGINT", "long": "BIGINT",
    "float": "REAL", "double": "DOUBLE", "decimal": "DECIMAL", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp_ntz": "TIMESTAMP", "timestamp": TIMESTAMPTZ, "timestamp_ltz": TIMESTAMPTZ,
}


def canonical(native: str, table: dict[str, str]) -> str:
    """`native` (an engine's type name, maybe with modifiers: numeric(10,2), varchar(20)) in cxgov's vocabulary."""
    lowered = native.strip().lower()
    base, _, modifiers = lowered.partition("(")
    found = table.get(base.strip())
    if found is None:
        return native.strip().upper()
    if found == "DECIMAL" and modifiers:
        return f"DECIMAL({modifiers.rstrip(')').replace(' ', '')})"
    return found
