"""Pages of the measures app: data sources with their rules, uploads, import history, mapping profiles."""
