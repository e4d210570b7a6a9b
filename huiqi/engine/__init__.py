"""The entitlement engine: one applicant → every provision, amount and explanation."""
