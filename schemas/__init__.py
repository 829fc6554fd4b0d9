"""pydantic models of the events and data that cross the pipeline's edges."""
