"""What happens to a complaint after routing filed it: status changes and their history,
refusal and reassignment, Kominfo triage, merging and unmerging reports, working-day
deadlines, and the reports they add up to (overdue lists, the city's yearly table).
Imports models and router (the routing policy decides where a reassigned complaint goes)."""
