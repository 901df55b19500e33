"""reportlab documents: plain data in, PDF bytes out; no database access here."""
