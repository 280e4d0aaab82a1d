"""SP-API operations, one module per API, each registering its routes on the router."""
