"""Audits of a pipeline run read back from the topics: nothing lost, nothing wrongly released."""
