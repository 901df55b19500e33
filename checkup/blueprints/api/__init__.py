"""The REST API for the hospital's systems, /api/v1 (README: "Integrating with HIS/LIS/PACS")."""
