"""What a person still has to be told of: the material versions they have not acknowledged."""

from __future__ import annotations

from ams.accounts.models import User
from ams.legal.documents import Version, material_versions
from ams.legal.models import PolicyNotice


def _concerned(user: User, version: Version) -> bool:
    # Someone who joined after a version took effect never knew the one before it.
    return user.date_joined < version.effective_at


def pending_notices(user: User) -> list[Version]:
    """The versions to show in the app until the person acknowledges them (one query at most)."""
    concerned = [v for v in material_versions() if _concerned(user, v)]
    if not concerned:
        return []
    seen = set(
        PolicyNotice.objects.filter(
            user=user,
            acknowledged_at__isnull=False,
            document__in=[v.document for v in concerned],
        ).values_list("document", "version")
    )
    return [v for v in concerned if (v.document, v.version) not in seen]


def unannounced(user: User, versions: list[Version]) -> list[Version]:
    """Of ``versions``, those the person has not been emailed about (nor already acknowledged)."""
    concerned = [v for v in versions if _concerned(user, v)]
    told = set(
        PolicyNotice.objects.filter(user=user)
        .exclude(emailed_at__isnull=True, acknowledged_at__isnull=True)
        .values_list("document", "version")
    )
    return [v for v in concerned if (v.document, v.version) not in told]
