"""In/Out schemas: they validate requests, shape responses and describe both in OpenAPI."""
