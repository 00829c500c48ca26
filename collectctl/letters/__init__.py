"""Customer-facing documents (letters, plan agreements, handover packs), their rendering to md,
txt, html and pdf, and sending them through a channel with a record (claim → channel → record)."""
