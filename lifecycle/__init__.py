"""What happens to a complaint after it is filed: status changes and their history,
Kominfo triage, merging and unmerging reports, working-day deadlines, and the reports
they add up to (overdue lists, the city's yearly table)."""
