"""Publishing for BI tools: the serving file and the report."""
