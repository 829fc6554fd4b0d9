"""The hold workflow: the queue of open holds, what a review does to a decision, the review applier."""
