"""Making every measure land (落实落地): the commitments ledger (督办台账), the project registry behind
the investment measures with its joint zone cases, the published lists and the enterprise-voice channel —
each for the measures whose files declare it (:mod:`huiqi.delivery.features`). Services here; pages in
:mod:`huiqi.web`; Excel import in :mod:`huiqi.delivery.importer`.

Who may change what: a department user (role ``reviewer``, with one department) edits only the
commitments of measures it leads and the projects and list entries it keeps; administrators
may do everything; the public sees published lists and aggregate figures only.
"""


class DeliveryError(ValueError):
    """Bad input for a delivery record; ``field`` names the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class NotYours(PermissionError):
    """The record belongs to another department."""


def may_edit(user, departments) -> bool:
    """Administrators edit everything; a department user only what one of ``departments`` owns."""
    if user.role == "admin":
        return True
    return user.role == "reviewer" and user.department is not None and user.department in set(departments)


def policy_or_default(policy=None):
    """The policy a delivery record belongs to: the one given, else the default policy (the first served)."""
    if policy is not None:
        return policy
    from huiqi import policies

    return policies.load()
