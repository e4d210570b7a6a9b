"""The application workflow: applications, review, pools, ledger, audit."""
