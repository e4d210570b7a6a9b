"""The applicant profile model and its normalisation into facts."""
