"""Business rules. Plain functions taking ids, values and the acting user; no Flask request here."""
