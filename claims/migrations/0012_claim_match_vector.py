"""The claim vectors matching searches (pgvector's HNSW index), where the server has pgvector.

Conditional: on a server that offers the `vector` extension this creates it (if it is not there yet), adds
Claim.match_vector (vector(384): the claim's centred unit vector, claims/vectors.py) and an HNSW index for
inner product over it; on a server without pgvector it does nothing, and matching stays lexical
(`manage.py check` and /health/ warn). The column is not a Django field: only claims/vectors.py reads and
writes it, in SQL. Vectors of claims stored earlier: `manage.py backfill_match_vectors`.
"""

from django.db import migrations

DIM = 384  # claims.vectors.DIM (multilingual-e5-small); a migration does not import app code

FORWARD = f"""
CREATE EXTENSION IF NOT EXISTS vector;
ALTER TABLE claims_claim ADD COLUMN IF NOT EXISTS match_vector vector({DIM});
CREATE INDEX IF NOT EXISTS claims_claim_match_vector_hnsw
    ON claims_claim USING hnsw (match_vector vector_ip_ops);
"""

BACKWARD = """
DROP INDEX IF EXISTS claims_claim_match_vector_hnsw;
ALTER TABLE claims_claim DROP COLUMN IF EXISTS match_vector;
"""


def _pgvector_available(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return cursor.fetchone() is not None


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and _pgvector_available(schema_editor):
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_claim_reviews"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
