"""The contract with the mobile app: OpenAPI snapshot, push and error JSON Schemas, the checker."""
