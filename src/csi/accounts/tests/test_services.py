from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from csi.accounts import services
from csi.accounts.models import ApiToken, User
from csi.core.errors import ConflictError
from csi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_user_create_gives_roles_and_audits(administrator):
    user = services.user_create(
        actor=administrator,
        username="owner1",
        password="a-long-passphrase-9",
        roles=["service-owner", "contributor"],
    )
    assert user.role_names == ["contributor", "service-owner"]
    assert user.check_password("a-long-passphrase-9")
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(user.pk), verb="create")
    assert event.actor == administrator
    assert event.after["roles"] == ["contributor", "service-owner"]
    assert "password" not in event.after


def test_user_create_without_password_cannot_sign_in(administrator):
    user = services.user_create(actor=administrator, username="nopw")
    assert not user.has_usable_password()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": "bad name"}, "username"),
        ({"username": "ok", "email": "not-an-email"}, "email"),
        ({"username": "ok", "password": "123"}, None),
        ({"username": "ok", "roles": ["emperor"]}, "roles"),
        ({"username": "x" * 151}, "username"),
    ],
)
def test_user_create_rejects_bad_input_and_stores_nothing(administrator, kwargs, field):
    users, events = User.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as info:
        services.user_create(actor=administrator, **kwargs)
    if field:
        assert field in info.value.message_dict
    assert (User.objects.count(), AuditEvent.objects.count()) == (users, events)


def test_duplicate_username_is_a_conflict(administrator):
    with pytest.raises(ConflictError):
        services.user_create(actor=administrator, username=administrator.username)


def test_only_administrators_manage_users(make_user):
    owner = make_user(roles=["service-owner"])
    with pytest.raises(PermissionDenied):
        services.user_create(actor=owner, username="sneaky")
    with pytest.raises(PermissionDenied):
        services.user_set_roles(actor=owner, user=owner, roles=["administrator"])
    assert owner.role_names == ["service-owner"]


def test_set_roles_replaces_and_audits_before_after(administrator, make_user):
    user = make_user(roles=["viewer"])
    services.user_set_roles(actor=administrator, user=user, roles=["contributor", "process-owner"])
    assert User.objects.get(pk=user.pk).role_names == ["contributor", "process-owner"]
    event = AuditEvent.objects.get(verb="set_roles", object_id=str(user.pk))
    assert event.before["roles"] == ["viewer"]
    assert event.after["roles"] == ["contributor", "process-owner"]


def test_administrator_cannot_lock_themself_out(administrator):
    with pytest.raises(ConflictError):
        services.user_set_roles(actor=administrator, user=administrator, roles=["viewer"])
    with pytest.raises(ConflictError):
        services.user_update(actor=administrator, user=administrator, is_active=False)
    administrator.refresh_from_db()
    assert administrator.is_active and administrator.role_names == ["administrator"]


def test_user_update_without_change_writes_no_event(administrator, make_user):
    user = make_user()
    before = AuditEvent.objects.count()
    services.user_update(actor=administrator, user=user, email=user.email)
    assert AuditEvent.objects.count() == before


def test_token_is_stored_hashed_and_authenticates(make_user):
    user = make_user(roles=["contributor"])
    token, secret = services.token_create(actor=user, user=user, name="script")
    assert secret.startswith("csi_") and len(secret) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (stored.digest, stored.prefix) and secret.startswith(stored.prefix)
    assert services.token_authenticate(secret) == user
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    assert services.token_authenticate(secret + "x") is None
    assert services.token_authenticate("not-a-token") is None


def test_revoked_expired_and_inactive_tokens_fail(make_user):
    user = make_user()
    revoked, revoked_secret = services.token_create(actor=user, user=user, name="a")
    services.token_revoke(actor=user, token=revoked)
    assert services.token_authenticate(revoked_secret) is None

    expiring, expiring_secret = services.token_create(
        actor=user, user=user, name="b", expires_at=timezone.now() + timedelta(days=1)
    )
    assert services.token_authenticate(expiring_secret) == user
    ApiToken.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.token_authenticate(expiring_secret) is None

    _, live_secret = services.token_create(actor=user, user=user, name="c")
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert services.token_authenticate(live_secret) is None


def test_token_rules(make_user, administrator):
    alice, bob = make_user(), make_user()
    token, _ = services.token_create(actor=alice, user=alice, name="mine")
    with pytest.raises(PermissionDenied):
        services.token_revoke(actor=bob, token=token)
    with pytest.raises(PermissionDenied):
        services.token_create(actor=bob, user=alice, name="for alice")
    with pytest.raises(ValidationError):
        services.token_create(actor=alice, user=alice, name="   ")
    with pytest.raises(ValidationError):
        services.token_create(
            actor=alice, user=alice, name="past", expires_at=timezone.now() - timedelta(days=1)
        )
    services.token_revoke(actor=administrator, token=token)
    assert ApiToken.objects.get(pk=token.pk).status == "revoked"
    assert AuditEvent.objects.filter(verb="revoke", object_type="accounts.apitoken").count() == 1
    services.token_revoke(actor=administrator, token=token)
    assert AuditEvent.objects.filter(verb="revoke", object_type="accounts.apitoken").count() == 1


def test_roles_exist_after_migrations():
    from django.contrib.auth.models import Group

    from csi.accounts.choices import Role

    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
