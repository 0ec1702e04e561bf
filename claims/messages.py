"""The pipeline's task names. Services and stages publish by name (factcheck.queue), because tasks import
them and they must not import tasks."""

FETCH_ARTICLE = "claims.tasks.fetch_article_task"
EXTRACT_ARTICLE = "claims.tasks.extract_article_task"
GATHER_SOURCES = "claims.tasks.gather_sources_task"
