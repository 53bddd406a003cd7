"""The request type of views that require sign-in: `user` is a real User there."""

from csi.accounts.models import User
from csi.core.http import HtmxHttpRequest


class AuthenticatedRequest(HtmxHttpRequest):
    user: User
