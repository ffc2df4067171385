"""Routing: a stored mention becomes a complaint in the right inbox (rules, the
classifier, the place named in the text, jurisdiction, one complaint per problem), or
goes to triage. Imports models and classifier; lifecycle/ takes the filed complaint."""
