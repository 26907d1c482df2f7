"""The application layer: one module per feature, each use case one transaction."""
