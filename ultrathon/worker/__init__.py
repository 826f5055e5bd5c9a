"""RQ glue: jobs that load a submission, call the scorers, store and publish."""
