"""Integration with the hospital's systems: API clients and tokens, the REST API's reads and writes,
webhooks out (README: "Integrating with HIS/LIS/PACS")."""
